#!/bin/bash
# cv.sh REPO OUTDIR TSV... : two folds (alternate rows per step+target); ingest one fold of every file
# into REPO, evaluate on the other, and the reverse. Prints both folds' figures.
set -u
repo=$1; out=$2; shift 2
mkdir -p $out
python3 - "$out" "$@" <<'PY'
import sys, collections
out, tsvs = sys.argv[1], sys.argv[2:]
cnt = collections.Counter()
folds = [[], []]
for t in tsvs:
    for l in open(t, encoding='utf-8'):
        f = l.rstrip('\n').split('\t')
        if len(f) < 3: continue
        k = (f[0], f[2]); folds[cnt[k] % 2].append(f[:3]); cnt[k] += 1
for i, rows in enumerate(folds):
    with open(f'{out}/train{i}.tsv', 'w', encoding='utf-8') as o:
        for r in rows: o.write('\t'.join(r) + '\n')
    with open(f'{out}/eval{i}.tsv', 'w', encoding='utf-8') as o:
        for s, u, w in rows:
            c = 'global' if w.startswith('cmd:') else ('menu' if s == 'menu' else 'midflow')
            if w.startswith('「') and w.endswith('」') and w[1:-1].count('「') == w[1:-1].count('」'): w = w[1:-1]
            o.write(f'{s}\t{u}\t{w}\t{c}\n')
PY
for i in 0 1; do
  j=$((1-i))
  : > $out/skip$i.txt
  bash /work/train/tools/loop.sh $repo $out/skip$i.txt $out/train$i.tsv >/dev/null 2>&1
  /work/train/tools/evalall.sh $repo $out/eval$j.tsv
done
(cd $repo && git checkout -q -- flows/content)
