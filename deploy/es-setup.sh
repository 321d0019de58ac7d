#!/usr/bin/env bash
# Creates (or updates) the role and user the sepwatch daemon uses in Elasticsearch: write access
# to its own indices and alias, nothing else. Idempotent; run by the es-setup service.
set -euo pipefail
es=http://elasticsearch:9200
auth=(-u "elastic:${ELASTIC_PASSWORD}")
prefix="${ES_INDEX_PREFIX:-sepwatch}"
curl -fsS "${auth[@]}" -X PUT "$es/_security/role/sepwatch_writer" -H 'Content-Type: application/json' -d @- <<JSON
{"cluster": ["monitor"],
 "indices": [{"names": ["${prefix}-*"],
              "privileges": ["create_index", "delete_index", "manage", "read", "write", "view_index_metadata"]}]}
JSON
curl -fsS "${auth[@]}" -X PUT "$es/_security/user/sepwatch" -H 'Content-Type: application/json' -d @- <<JSON
{"password": "${SEPWATCH_ES_PASSWORD}", "roles": ["sepwatch_writer"], "full_name": "sepwatch daemon"}
JSON
echo "role sepwatch_writer and user sepwatch are ready"
