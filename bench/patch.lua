-- wrk script for the bulk PATCH row: marks the listed call trackings seen, then unseen, in
-- turn, so that every request really changes records (and their updated_at).
local ids = os.getenv("BENCH_PATCH_IDS") or "1,2,3"
local token = os.getenv("BENCH_TOKEN") or "admin-token"
local seen = false

request = function()
  seen = not seen
  local body = '{"calltrackings":[' .. ids .. '],"operations":[{"op":"replace","path":"/seen",'
    .. '"value":' .. tostring(seen) .. '}]}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  return wrk.format("PATCH", nil, headers, body)
end
