"""The compose example of several replicas (docs/replicas/) holds together: both mocks are
configured alike, on the Redis of the file, with real options, and nginx sends to each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mockserver.settings import ENV_PREFIX, Settings

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "replicas"
COMPOSE: dict[str, Any] = yaml.safe_load((EXAMPLE / "compose.yaml").read_text())
NGINX = (EXAMPLE / "nginx.conf").read_text()
MOCKS = sorted(name for name in COMPOSE["services"] if name.startswith("mock-"))


def test_the_replicas_share_one_redis_with_the_same_options() -> None:
    assert MOCKS == ["mock-1", "mock-2"]
    environments = [COMPOSE["services"][name]["environment"] for name in MOCKS]
    assert environments[0] == environments[1]
    settings = Settings.from_env({k: str(v) for k, v in environments[0].items()})
    assert settings.state_backend == "redis"
    assert settings.redis_url == "redis://redis:6379/0"
    assert all(k.startswith(ENV_PREFIX) for k in environments[0])
    for name in MOCKS:
        assert COMPOSE["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    redis = COMPOSE["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert redis["volumes"] == ["redis-data:/data"] and "redis-data" in COMPOSE["volumes"]


def test_nginx_sends_to_every_replica_on_the_port_the_image_listens_on() -> None:
    port = re.search(r"MOCKSERVER_PORT=(\d+)", (EXAMPLE.parent.parent / "Dockerfile")
                     .read_text()).group(1)  # type: ignore[union-attr]
    upstream = re.search(r"upstream mock \{(.*?)\}", NGINX, re.S).group(1)  # type: ignore[union-attr]
    assert re.findall(r"server (\S+?)(?: |;)", upstream) == [f"{m}:{port}" for m in MOCKS]
    assert "proxy_set_header Host $http_host;" in NGINX
    nginx = COMPOSE["services"]["nginx"]
    assert nginx["volumes"] == ["./nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert {m: c["condition"] for m, c in nginx["depends_on"].items()} == {
        m: "service_healthy" for m in MOCKS}
