#!/usr/bin/env python3
"""A fixture of N organizations (each with its owner membership) for timing
`orgreg import`: python3 .ci/bulk_fixture.py 100000 > /tmp/100k.json (docs/OPERATIONS.md)."""
import json, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
owner = "00000000-0000-4000-9000-000000000001"
orgs, members = [], []
for i in range(n):
    oid = f"00000000-0000-4000-8000-{i:012x}"
    orgs.append({"id": oid, "seq": i + 1, "name": f"Bulk organization {i}",
                 "description": "A generated organization for the import benchmark.",
                 "created": "2026-01-01T00:00:00.000Z"})
    members.append({"organization": oid, "user": owner, "role": "owner",
                    "created": "2026-01-01T00:00:00.000Z"})
json.dump({"orgreg_fixture": 1,
           "users": [{"id": owner, "seq": 1, "username": "bulk", "is_staff": True,
                      "token": "org_" + "B" * 43}],
           "organizations": orgs, "memberships": members}, sys.stdout)
