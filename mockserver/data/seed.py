"""Generated records on top of the fixtures: many, realistic, self-consistent, and repeatable.

Faker costs ~100 µs a call, so it only fills small pools of names, once; every record is
then drawn from those pools with one ``random.Random(seed)``, which keeps 100,000 call
trackings near a second. The same seed with the same (pinned) Faker gives the same Dataset.

Generated records never point at the fixtures' leads, properties or non-persona users, and
never reuse a fixture's phone number or lead name part, so that a filter on a fixture value
(``filters[lead][id]=101``, ``filters[phone]=+971 55 487 9009``, ``filters[user_id]=5``)
finds exactly the hand-written records whatever the seed and count.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from faker import Faker

from ..core.dataset import Dataset
from ..core.model import IMPORTED_FROM, CallTracking, Lead, Property, User
from .fixtures import NO_RECORDING, Fixtures
from .timeline import DAY, Timeline

_T = TypeVar("_T")
RECORDING_PATH = "/__mock/recordings/{id}.mp3"  # the server makes it absolute
AGENTS, MIN_LEADS, MIN_PROPERTIES = 12, 20, 15
NAMES_PER_LOCALE = 100
LOCALES = ("en_GB", "en_IN", "en_US")  # Dubai's English-speaking clientele, roughly
ARAB_MALE = ("Mohammed", "Ahmed", "Abdullah", "Saeed", "Rashid", "Yousef", "Hamdan", "Tariq")
ARAB_FEMALE = ("Fatima", "Mariam", "Noura", "Hessa", "Shamma", "Latifa", "Reem", "Amna")
ARAB_LAST = ("Al Nuaimi", "Al Shamsi", "Al Marzouqi", "Al Suwaidi", "Al Ketbi", "Haddad", "Saleh")
FREE_MAIL = ("gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "icloud.com")
AGENCY_MAIL = "dunesrealty.example"
MOBILE_PREFIXES = ("50", "52", "54", "55", "56", "58")

CALL_STATUSES = ("answered", "notanswered", "canceled", "voicemail")
CALL_STATUS_WEIGHTS = (50, 25, 15, 10)
LEAD_STATUSES = ("notYetContacted", "calledNoReply", "prospect", "qualified",
                 "viewingsInProgress", "contractSent", "contractSigned", "notReady",
                 "notInterested")  # fmt: skip
LEAD_STATUS_WEIGHTS = (20, 12, 18, 12, 10, 5, 5, 8, 10)
LEAD_SOURCES = ("propertyfinder", "portal", "socialMedia", "online", "offline", "other")
LEAD_SOURCE_WEIGHTS = (55, 12, 10, 10, 8, 5)
P_NO_USER, P_NO_LEAD, P_NO_PROPERTY = 0.03, 0.40, 0.30
P_FOLLOWS_LEAD_OWNER = 0.7

# city, community, sub-communities, what is built there, price factor
COMMUNITIES = (
    ("Dubai", "Dubai Marina", ("Marina Gate", "Cayan Tower", "Princess Tower"), "flats", 1.3),
    ("Dubai", "Downtown Dubai", ("Burj Khalifa", "Boulevard Point", "Act One"), "flats", 1.8),
    ("Dubai", "Business Bay", ("Executive Towers", "Bay Square", "Churchill Towers"), "flats", 1.2),
    ("Dubai", "Jumeirah Village Circle", ("District 12", "Bloom Heights"), "flats", 0.75),
    ("Dubai", "Palm Jumeirah", ("Frond G", "Shoreline Apartments", "Golden Mile"), "villas", 2.2),
    ("Dubai", "Jumeirah Lake Towers", ("Cluster D", "Lake Shore Tower"), "flats", 1.0),
    ("Dubai", "Dubai Hills Estate", ("Park Heights", "Sidra", "Maple"), "villas", 1.4),
    ("Dubai", "Arabian Ranches", ("Saheel", "Alvorada", "Mirador"), "villas", 1.1),
    ("Dubai", "Al Barsha", ("Al Barsha 1", "Al Barsha South"), "flats", 0.9),
    ("Dubai", "Deira", ("Al Rigga", "Port Saeed"), "flats", 0.6),
    ("Abu Dhabi", "Al Reem Island", ("Shams Abu Dhabi", "Marina Square"), "flats", 0.9),
    ("Abu Dhabi", "Yas Island", ("Ansam", "Yas Acres"), "villas", 1.0),
    ("Abu Dhabi", "Saadiyat Island", ("Mamsha Al Saadiyat", "Saadiyat Beach"), "villas", 1.6),
)
# type: category, bedroom counts to draw from, base size and size per bedroom (sq ft)
TYPES = {
    "apartment": ("residential", (0, 1, 1, 1, 2, 2, 2, 3, 3, 4), 450, 550),
    "penthouse": ("residential", (3, 4, 4, 5), 2400, 700),
    "villa": ("residential", (3, 4, 4, 5, 5, 6, 7), 2600, 800),
    "townhouse": ("residential", (2, 3, 3, 3, 4), 1500, 500),
    "office": ("commercial", (0,), 600, 0),
    "retail": ("commercial", (0,), 500, 0),
}
BUILT = {
    "flats": ("apartment",) * 14 + ("penthouse",) + ("office",) * 3 + ("retail",) * 2,
    "villas": ("villa",) * 3 + ("townhouse",) * 2,
}
LISTING_STATUSES = ("available",) * 13 + ("draft", "under offer", "under offer", "reserved")
CLOSED = {"rent": "rented", "sale": "sold"}
PRICE = {"rent": (95, 40_000, 600_000, 1_000), "sale": (1_450, 600_000, 30_000_000, 5_000)}


@dataclass(frozen=True, slots=True)
class Names:
    """Name pools, drawn once from Faker; records pick from them with ``random.Random``."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Owners:
    """Who generated records are assigned to, and how often (persona users more than most)."""

    ids: tuple[int, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: random.Random, k: int) -> list[int]:
        return rng.choices(self.ids, cum_weights=self.cum_weights, k=k)


class Phones:
    """UAE numbers, each handed out once and never one a fixture uses."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng, self.taken = rng, taken
        self.digits: dict[str, str] = {}  # number -> its digits, shared by the records

    def mobile(self) -> str:
        """``+971 5X XXX XXXX``."""
        return self._new(MOBILE_PREFIXES[int(self.rng.random() * len(MOBILE_PREFIXES))])

    def landline(self) -> str:
        """A Dubai landline, ``+971 4 XXX XXXX``."""
        return self._new("4")

    def _new(self, area: str) -> str:
        while True:
            number = 2_000_000 + int(self.rng.random() * 7_000_000)
            digits = f"971{area}{number}"
            if digits not in self.taken:
                self.taken.add(digits)
                text = f"+971 {area} {number // 10_000} {number % 10_000:04d}"
                self.digits[text] = digits
                return text


@dataclass(frozen=True, slots=True)
class Sources:
    """What every generator draws from: one random stream, the pools, the owners, the
    timeline the dates are placed on."""

    rng: random.Random
    names: Names
    phones: Phones
    owners: Owners
    timeline: Timeline


def generate(
    seed: int, count: int, fixtures: Fixtures, *, now: datetime, history_days: int
) -> Dataset:
    """The fixtures' records, then generated ones up to ``count`` call trackings in all.

    Fixture records are always kept, so the total is ``max(count, fixture call trackings)``.
    Users (12 agents), leads (count/3, at least 20) and properties (count/4, at least 15)
    are generated in proportion; generated ids start at the next thousand after the
    fixtures' (1001 with the shipped fixtures) and call ids rise with the start time. The
    calls reach back ``history_days`` from ``now`` (see ``timeline``).
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    rng = random.Random(seed)
    data = fixtures.dataset.copy()
    names = name_pools(seed, _lead_name_parts(data.leads.values()))
    phones = Phones(rng, _phone_digits(data))
    agents = make_agents(rng, names, phones, first_free(data.users), AGENTS)
    timeline = Timeline(now, history_days)
    src = Sources(rng, names, phones, _owners(fixtures, agents), timeline)
    leads = make_leads(src, first_free(data.leads), max(MIN_LEADS, count // 3))
    props = make_properties(src, first_free(data.properties), max(MIN_PROPERTIES, count // 4))
    n_calls = count - len(data.call_trackings)
    calls = make_calls(src, leads, props, first_free(data.call_trackings), n_calls, data)
    date_leads(src, leads, calls)
    data.users.update((r.id, r) for r in agents)
    data.leads.update((r.id, r) for r in leads)
    data.properties.update((r.id, r) for r in props)
    data.call_trackings.update((r.id, r) for r in calls)
    return data


def name_pools(seed: int, exclude: set[str]) -> Names:
    """A few hundred names per pool; the fixtures' lead name parts are left out."""
    male, female, last = list(ARAB_MALE), list(ARAB_FEMALE), list(ARAB_LAST)
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        male += (fake.first_name_male() for _ in range(NAMES_PER_LOCALE))
        female += (fake.first_name_female() for _ in range(NAMES_PER_LOCALE))
        last += (fake.last_name() for _ in range(NAMES_PER_LOCALE))

    def keep(pool: list[str]) -> tuple[str, ...]:
        return tuple(n for n in dict.fromkeys(pool) if n.lower() not in exclude)

    return Names(keep(male), keep(female), keep(last))


def make_agents(
    rng: random.Random, names: Names, phones: Phones, first_id: int, n: int
) -> list[User]:
    agents = []
    for user_id in range(first_id, first_id + n):
        first = _pick(rng, names.male if rng.random() < 0.6 else names.female)
        last = _pick(rng, names.last)
        email = f"{_ascii(first)}.{_ascii(last)}{user_id}@{AGENCY_MAIL}"
        agents.append(User(user_id, first, last, email, phones.mobile()))
    return agents


def make_leads(src: Sources, first_id: int, n: int) -> list[Lead]:
    """Leads without dates: ``date_leads`` sets them once their calls are known."""
    rng, names, phones = src.rng, src.names, src.phones
    statuses = rng.choices(LEAD_STATUSES, LEAD_STATUS_WEIGHTS, k=n)
    sources = rng.choices(LEAD_SOURCES, LEAD_SOURCE_WEIGHTS, k=n)
    users = src.owners.draw(rng, n)
    leads = []
    for i in range(n):
        male = rng.random() < 0.6
        pool = names.male if male else names.female
        first, last = _pick(rng, pool), _pick(rng, names.last)
        middle = _pick(rng, pool) if rng.random() < 0.15 else None
        mobile = phones.mobile() if rng.random() < 0.95 else None
        phone = phones.landline() if mobile is None or rng.random() < 0.15 else None
        leads.append(Lead(
            id=first_id + i, user_id=users[i] if rng.random() >= 0.05 else None,
            title=_title(rng, male), first_name=first, middle_name=middle, last_name=last,
            email=_email(rng, first, last) if rng.random() < 0.85 else None,
            mobile=mobile, phone=phone, status=statuses[i], source=sources[i],
            created_at="", updated_at="", marked_as_seen=rng.random() < 0.6,
        ))  # fmt: skip
    return leads


def make_properties(src: Sources, first_id: int, n: int) -> list[Property]:
    rng = src.rng
    users = src.owners.draw(rng, n)
    props = []
    for i in range(n):
        city, community, subs, built, factor = _pick(rng, COMMUNITIES)
        type_name = _pick(rng, BUILT[built])
        category, bedroom_counts, base, per_bedroom = TYPES[type_name]
        bedrooms = _pick(rng, bedroom_counts)
        size = int((base + per_bedroom * bedrooms) * (0.8 + 0.6 * rng.random()))
        offering = "rent" if rng.random() < 0.6 else "sale"
        status = CLOSED[offering] if rng.random() < 0.15 else _pick(rng, LISTING_STATUSES)
        props.append(Property(
            id=first_id + i, reference=f"DR-{offering[0].upper()}-{first_id + i}",
            status=status, category=category, type_name=type_name, offering_type=offering,
            price=_price(rng, offering, size, factor), city=city, community=community,
            sub_community=_pick(rng, subs) if rng.random() < 0.85 else None,
            bedrooms=bedrooms, bathrooms=max(1, bedrooms + int(rng.random() * 2)),
            size=size, user_id=users[i] if rng.random() >= 0.05 else None,
        ))  # fmt: skip
    return props


def make_calls(
    src: Sources,
    leads: Sequence[Lead],
    props: Sequence[Property],
    first_id: int,
    n: int,
    fixtures: Dataset,
) -> list[CallTracking]:
    """``n`` calls in start-time order, so ids and imported ids rise with time."""
    if n <= 0:
        return []
    rng, timeline, digits = src.rng, src.timeline, src.phones.digits
    stamp = timeline.stamp
    draws = sorted(rng.random() for _ in range(n))
    starts = [timeline.place(u) for u in draws]
    starts[-1] = timeline.latest(starts[-1], rng.random())
    statuses = rng.choices(CALL_STATUSES, CALL_STATUS_WEIGHTS, k=n)
    users = src.owners.draw(rng, n)
    callers = [src.phones.mobile() if rng.random() < 0.9 else src.phones.landline()
               for _ in range(max(10, n // 5))]  # fmt: skip
    imported = _imported_sequence(rng, n, _imported_numbers(fixtures))
    calls = []
    for i, start in enumerate(starts):
        ct_id, status = first_id + i, statuses[i]
        lead = None if rng.random() < P_NO_LEAD else _pick(rng, leads)
        user = _call_user(rng, users[i], lead)
        talk, call, wait = _durations(rng, status)
        created = stamp(start + call + 5 + int(295 * rng.random() ** 2))
        ct = CallTracking(
            id=ct_id, reference=f"pfflex-{ct_id}",
            phone=(lead.mobile or lead.phone or "") if lead else _pick(rng, callers),
            status=status, call_start=stamp(start), call_end=stamp(start + call),
            talk_time=talk, call_time=call, wait_time=wait, user_id=user,
            lead_id=lead.id if lead else None,
            property_id=None if rng.random() < P_NO_PROPERTY else _pick(rng, props).id,
            download_url=None if status in NO_RECORDING else RECORDING_PATH.format(id=ct_id),
            imported_id=imported[i], imported_from=IMPORTED_FROM,
            created_at=created, updated_at=created,
            marked_as_seen=rng.random() < seen_chance(timeline.age_days(draws[i])),
        )  # fmt: skip
        ct.phone_digits = digits[ct.phone]  # the same digits, shared: 6 MB less per 100k
        calls.append(ct)
    return calls


def _call_user(rng: random.Random, drawn: int, lead: Lead | None) -> int | None:
    """Mostly the lead's own agent when there is one; a few calls are left unassigned."""
    if rng.random() < P_NO_USER:
        return None
    if lead is not None and lead.user_id is not None and rng.random() < P_FOLLOWS_LEAD_OWNER:
        return lead.user_id
    return drawn


def date_leads(src: Sources, leads: Iterable[Lead], calls: Iterable[CallTracking]) -> None:
    """A lead is created up to three days before its first call, and changed later."""
    rng, timeline = src.rng, src.timeline
    first_call: dict[int, str] = {}
    for ct in calls:  # in start order, so the first seen is the earliest
        if ct.lead_id is not None:
            first_call.setdefault(ct.lead_id, ct.call_start)
    for lead in leads:
        start = first_call.get(lead.id)
        at = timeline.seconds(start) if start else timeline.place(rng.random())
        created = at - int(rng.random() * 3 * DAY)
        lead.created_at = timeline.stamp(created)
        changed = created + int(rng.random() ** 2 * 20 * DAY)
        lead.updated_at = timeline.stamp(max(created, min(changed, timeline.now)))


def seen_chance(age_days: float) -> float:
    """How likely a call this old has been marked seen: most older ones, few of today's."""
    return 0.9 - 0.75 * math.exp(-age_days / 3)


def _durations(rng: random.Random, status: str) -> tuple[int, int, int]:
    """(talk, call, wait) seconds: rings of 10-45 s unanswered, talks of 20 s-15 min."""
    wait = int(31 * rng.random() ** 3)
    if status == "answered":
        talk = 20 + int(881 * rng.random() ** 2)
        return talk, talk + wait + 1 + int(12 * rng.random()), wait
    if status == "voicemail":  # the message left counts as talk: it is what was recorded
        talk = 5 + int(56 * rng.random())
        return talk, talk + wait + 15 + int(16 * rng.random()), wait
    ring = 10 + int(36 * rng.random())
    return 0, ring, min(wait, ring)


def _price(rng: random.Random, offering: str, size: int, factor: float) -> int:
    per_sqft, low, high, step = PRICE[offering]
    value = size * per_sqft * factor * (0.85 + 0.3 * rng.random())
    return int(min(max(value, low), high)) // step * step


def _title(rng: random.Random, male: bool) -> str | None:
    r = rng.random()
    if r < 0.05:
        return "Dr"
    if r < 0.6:
        return "Mr" if male else ("Ms" if r < 0.4 else "Mrs")
    return None


def _email(rng: random.Random, first: str, last: str) -> str:
    f, last_part = _ascii(first) or "lead", _ascii(last) or "lead"
    style = int(rng.random() * 4)
    if style == 0:
        local = f"{f}.{last_part}"
    elif style == 1:
        local = f"{f}{last_part}{10 + int(rng.random() * 90)}"
    elif style == 2:
        local = f"{f[0]}.{last_part}"
    else:
        local = f"{f}_{last_part}"
    return f"{local}@{_pick(rng, FREE_MAIL)}"


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.lower() if "a" <= ch <= "z")


def _pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its overhead (it matters 100,000 times over)."""
    return seq[int(rng.random() * len(seq))]


def _imported_sequence(rng: random.Random, n: int, taken: set[int]) -> list[str]:
    """Rising 7-digit ``AE-`` ids with gaps, as an importer's sequence would be."""
    value, ids = 1_000_000 + int(rng.random() * 1_000_000), []
    for _ in range(n):
        value += 1 + int(rng.random() * 40)
        while value in taken:
            value += 1
        ids.append(f"AE-{value}")
    return ids


def first_free(ids: Iterable[int]) -> int:
    """The first id of the next thousand above the fixtures' ids: room to add fixtures."""
    return (max(ids, default=0) // 1000 + 1) * 1000 + 1


def _owners(fixtures: Fixtures, agents: Sequence[User]) -> Owners:
    """Persona users with lead rights own much, ``norights`` a little; agents the rest."""
    pairs = [
        (p.user_id, 3.0 if any(r.startswith("lead.") for r in p.rights) else 0.5)
        for p in fixtures.personas
    ] + [(a.id, 1.0) for a in agents]
    total, cum = 0.0, []
    for _, weight in pairs:
        total += weight
        cum.append(total)
    return Owners(tuple(i for i, _ in pairs), tuple(cum))


def _lead_name_parts(leads: Iterable[Lead]) -> set[str]:
    return {
        p.lower()
        for lead in leads
        for p in (lead.first_name, lead.middle_name, lead.last_name)
        if p
    }


def _phone_digits(data: Dataset) -> set[str]:
    numbers = [ct.phone for ct in data.call_trackings.values()]
    numbers += [u.phone for u in data.users.values()]
    numbers += [n for lead in data.leads.values() for n in (lead.mobile, lead.phone) if n]
    return {"".join(ch for ch in n if ch.isdigit()) for n in numbers}


def _imported_numbers(data: Dataset) -> set[int]:
    return {int(ct.imported_id[3:]) for ct in data.call_trackings.values()
            if ct.imported_id[:3] == "AE-" and ct.imported_id[3:].isdigit()}  # fmt: skip
