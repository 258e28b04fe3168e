"""Who a caller is, as the real API knows it: the documented client-credentials grant, the
RS256 JWTs it returns (claims shaped as the upstream's Keycloak tokens), their verification,
and the static persona tokens kept for curl."""
