#!/usr/bin/env python3
"""ingest.py CONTENT_DIR SKIPFILE TSV... : add rows (step, utterance, expected) as
`examples:` of the matching choice (by step id and label) or command (cmd:<id>) in the
flow files. Rows listed in SKIPFILE (utterance\texpected per line) are left out. Prints counts."""
import sys, os, re, glob, json, unicodedata

content, skipfile, tsvs = sys.argv[1], sys.argv[2], sys.argv[3:]
skip = set()
if os.path.exists(skipfile):
    for line in open(skipfile, encoding="utf-8"):
        line = line.rstrip("\n")
        if line:
            skip.add(line)

def unq(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        s = s[1:-1]
    return s

def clean_label(s):
    s = s.strip()
    if s.startswith("「") and s.endswith("」") and s.count("「") == s.count("」") and s.count("「") >= 1:
        inner = s[1:-1]
        # only strip if the outer pair is a wrapper, i.e. inner has balanced brackets
        if inner.count("「") == inner.count("」"):
            s = inner
    return s

rows = {}   # (stepid or '*', label or cmd) -> [utt]
bad = 0
for path in tsvs:
    for ln in open(path, encoding="utf-8"):
        ln = ln.rstrip("\n")
        if not ln.strip() or ln.startswith("#"):
            continue
        f = ln.split("\t")
        if len(f) < 3:
            bad += 1; continue
        step, utt, want = f[0].strip(), f[1].strip(), f[2].strip()
        if not utt or re.search(r"\d{4,}", unicodedata.normalize("NFKC", utt)):
            bad += 1; continue
        if utt + "\t" + (want if want.startswith("cmd:") else clean_label(want)) in skip:
            continue
        if want.startswith("cmd:"):
            key = ("*", want[4:])
        else:
            key = (step, clean_label(want))
        rows.setdefault(key, [])
        if utt not in rows[key]:
            rows[key].append(utt)

def yq(s):
    return json.dumps(s, ensure_ascii=False)

added = 0
found = set()
for fn in sorted(glob.glob(os.path.join(content, "*.yaml"))):
    lines = open(fn, encoding="utf-8").read().split("\n")
    out = []
    step = None
    incommands = False
    cmdid = None
    i = 0
    # existing examples/match per target, to dedupe
    while i < len(lines):
        l = lines[i]
        if re.match(r"^\S", l):
            incommands = l.startswith("commands:")
        m = re.match(r"^  - id: (\S+)\s*$", l)
        if m:
            step = m.group(1)
            cmdid = step if incommands else None
        m = re.match(r"^(\s*)(- )?label: (.*)$", l)
        key = None
        if m:
            lab = unq(m.group(3))
            if incommands and cmdid and m.group(1) == "    " and not m.group(2):
                key = ("*", cmdid)
                ind = "    "
            elif not incommands and m.group(2) and len(m.group(1)) == 6:
                key = (step, lab)
                ind = "        "
        out.append(l)
        i += 1
        if key and key in rows:
            found.add(key)
            # gather existing texts of this target (until the next item at the same indent)
            j = i
            existing = set()
            while j < len(lines):
                lj = lines[j]
                if lj.strip() and (len(lj) - len(lj.lstrip())) < len(ind):
                    break
                if lj.strip() and (len(lj) - len(lj.lstrip())) == len(ind) - 2 and lj.lstrip().startswith("- "):
                    break
                mm = re.match(r"^\s*- (.*)$", lj)
                if mm:
                    existing.add(unq(mm.group(1)))
                j += 1
            new = [u for u in rows[key] if u not in existing]
            if not new:
                continue
            k = next((k for k in range(i, j) if lines[k] == ind + "examples:"), None)
            if k is not None:
                out.extend(lines[i:k + 1]); i = k + 1
            else:
                out.append(ind + "examples:")
            for u in new:
                out.append(ind + "  - " + yq(u))
                added += 1
    open(fn, "w", encoding="utf-8").write("\n".join(out))

missing = [k for k in rows if k not in found]
print(f"added {added}, targets {len(found)}, unknown targets {len(missing)}, bad rows {bad}", file=sys.stderr)
for k in missing[:30]:
    print("  unknown:", k, file=sys.stderr)
