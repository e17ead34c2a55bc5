#!/bin/bash
# loop.sh REPO SKIP TSV... : ingest into REPO (a copy of main, content reset first), prune until clean.
set -u
repo=$1; skip=$2; shift 2
cp /work/train/tools/zzprune_test.go $repo/flows/zz_prune_test.go
cp /work/train/tools/zzguard_test.go $repo/flows/zz_guard_test.go
for round in 1 2 3 4 5 6 7 8; do
  (cd $repo && git checkout -q -- flows/content)
  python3 /work/train/tools/ingest.py $repo/flows/content $skip "$@"
  (cd $repo && PRUNE_OUT=/tmp/prune.out go test -count=1 -run TestZZPrune ./flows > /tmp/prune.log 2>&1)
  [ -n "${BASE:-}" ] && (cd $repo && BASE=$BASE PRUNE_OUT=/tmp/prune.out go test -count=1 -run TestZZGuard ./flows >> /tmp/prune.log 2>&1)
  nf=$(grep -c '^FAIL\|^REGRESS' /tmp/prune.out)
  echo "round $round: fails $nf"
  [ "$nf" = 0 ] && break
  # new rows: utterance\tlabel from the TSVs
  python3 - "$skip" "$@" <<'PY'
import sys
skip, tsvs = sys.argv[1], sys.argv[2:]
sys.path.insert(0, '/work/train/tools')
def clean(w):
    w=w.strip()
    if w.startswith("cmd:"): return w
    if w.startswith("「") and w.endswith("」") and w[1:-1].count("「")==w[1:-1].count("」"): w=w[1:-1]
    return w
new=set()
for t in tsvs:
    for l in open(t,encoding='utf-8'):
        f=l.rstrip('\n').split('\t')
        if len(f)>=3: new.add(f[1].strip()+'\t'+clean(f[2]))
add=set()
for l in open('/tmp/prune.out',encoding='utf-8'):
    f=l.rstrip('\n').split('\t')
    if len(f)<4: continue
    k=f[2]+'\t'+f[3]
    if k in new: add.add(k)
with open(skip,'a',encoding='utf-8') as o:
    for k in sorted(add): o.write(k+'\n')
print('  skipped now', len(add), file=sys.stderr)
PY
done
rm -f $repo/flows/zz_prune_test.go $repo/flows/zz_guard_test.go
