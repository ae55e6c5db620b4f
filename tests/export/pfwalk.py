#!/usr/bin/env python3
"""pfwalk.py - an independent walker of Perfetto protobuf traces, written from
the public protos, that checks the rules Perfetto's importer relies on
(DESIGN.md 5b) and prints a JSON summary of what the trace contains.

usage: pfwalk.py [--flat] TRACE.pftrace      -> JSON on stdout, exit 1 if a rule is broken
       pfwalk.py [--flat] --json TRACE.json  -> the same summary for Chrome JSON output
--flat prints key=value lines (summary.slices=..., names={...}) for shell tests.
"""
import json
import sys
import zlib
from collections import Counter, defaultdict


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """yield (field, wiretype, value) for a message; value is int or bytes"""
    i = 0
    while i < len(b):
        tag, i = varint(b, i)
        f, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = int.from_bytes(b[i:i + 8], 'little')
            i += 8
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = int.from_bytes(b[i:i + 4], 'little')
            i += 4
        else:
            raise ValueError('bad wire type %d' % wt)
        if i > len(b):
            raise ValueError('truncated field %d' % f)
        yield f, wt, v


def packets(buf, errors):
    for f, wt, v in fields(buf):
        if f != 1 or wt != 2:
            errors.append('Trace has a field other than packet: %d' % f)
            continue
        comp = [x for x in fields(v) if x[0] == 50]
        if comp:
            yield from packets(zlib.decompress(comp[0][2]), errors)
        else:
            yield v


def walk(path):
    errors = []
    data = open(path, 'rb').read()
    seq_state = {}         # seq -> dict(cleared, interned{ns:{iid:name}}, clocks, defaults)
    descs = {}             # uuid -> desc dict
    events = []            # (ts, order, track, type, name, cat, flows, term)
    order = 0
    first_flags = []   # flags of the first packet of every event sequence
    n_packets = 0
    for pkt in packets(data, errors):
        n_packets += 1
        p = defaultdict(list)
        for f, wt, v in fields(pkt):
            p[f].append((wt, v))
        seq = p[10][0][1] if 10 in p else 0
        flags = p[13][0][1] if 13 in p else 0
        if seq not in seq_state and seq > 1:
            first_flags.append(flags)
        st = seq_state.setdefault(seq, {'cleared': False, 'intern': defaultdict(dict), 'clock64': None,
                                        'defclock': None, 'deftrack': None})
        if flags & 1:
            st['cleared'] = True
            st['intern'] = defaultdict(dict)
        if flags & 2 and not st['cleared']:
            errors.append('seq %d: packet needs incremental state before SEQ_INCREMENTAL_STATE_CLEARED' % seq)
        if 59 in p:
            for f, wt, v in fields(p[59][0][1]):
                if f == 58:
                    st['defclock'] = v
                if f == 11:
                    for f2, _, v2 in fields(v):
                        if f2 == 11:
                            st['deftrack'] = v2
        if 6 in p:  # clock snapshot
            for f, wt, v in fields(p[6][0][1]):
                if f == 1:
                    c = {f2: v2 for f2, _, v2 in fields(v)}
                    if c.get(1) == 64:
                        if not c.get(3):
                            errors.append('clock 64 is not incremental')
                        st['clock64'] = c.get(2, 0)
        if 12 in p:
            for f, wt, v in fields(p[12][0][1]):
                e = {f2: v2 for f2, _, v2 in fields(v)}
                st['intern'][f][e.get(1)] = e.get(2, b'').decode('utf-8', 'replace')
        if 60 in p:
            d = {'children': {}}
            for f, wt, v in fields(p[60][0][1]):
                if f in (3, 4):
                    d[f] = {f2: v2 for f2, _, v2 in fields(v)}
                elif f == 8:
                    d['counter'] = True
                else:
                    d[f] = v
            u = d.get(1)
            if not u:
                errors.append('track descriptor without uuid')
            if 4 in d and (1 not in d[4] or 2 not in d[4]):
                errors.append('thread descriptor without pid/tid')
            if 3 in d and 1 not in d[3]:
                errors.append('process descriptor without pid')
            descs[u] = d
        if 11 in p:
            if 8 not in p:
                errors.append('track event without timestamp')
                continue
            if not seq:
                errors.append('track event without trusted_packet_sequence_id')
            ts = p[8][0][1]
            clock = p[58][0][1] if 58 in p else (st['defclock'] or 6)
            if clock == 64:
                if st['clock64'] is None:
                    errors.append('seq %d: incremental clock used before its snapshot' % seq)
                    continue
                st['clock64'] += ts
                ts = st['clock64']
            te = defaultdict(list)
            for f, wt, v in fields(p[11][0][1]):
                te[f].append((wt, v))
                if f in (47, 48) and wt != 1:
                    errors.append('flow id field %d has wire type %d, not fixed64' % (f, wt))
            typ = te[9][0][1] if 9 in te else 0
            track = te[11][0][1] if 11 in te else st['deftrack']
            name = None
            if 10 in te:
                iid = te[10][0][1]
                name = st['intern'][2].get(iid)
                if name is None:
                    errors.append('seq %d: name iid %d not interned' % (seq, iid))
            elif 23 in te:
                name = te[23][0][1].decode('utf-8', 'replace')
            cat = None
            for _, iid in te.get(3, []):
                cat = st['intern'][1].get(iid)
                if cat is None:
                    errors.append('seq %d: category iid %d not interned' % (seq, iid))
            for _, da in te.get(4, []):
                dd = {f2: v2 for f2, _, v2 in fields(da)}
                if 1 in dd and dd[1] not in st['intern'][3]:
                    errors.append('seq %d: annotation name iid %d not interned' % (seq, dd[1]))
            if 22 in te:
                cat = te[22][0][1].decode()
            flows = [v for _, v in te.get(47, [])]
            term = [v for _, v in te.get(48, [])]
            events.append((ts, order, track, typ, name, cat, flows, term))
            order += 1
    # structure checks
    summary = Counter()
    names = Counter()
    cats = Counter()
    counter_vals = Counter()
    stacks = defaultdict(list)
    flow_seen = Counter()
    for ts, order, track, typ, name, cat, flows, term in sorted(events, key=lambda e: (e[0], e[1])):
        d = descs.get(track)
        if d is None:
            errors.append('event on undeclared track %s' % track)
            continue
        if typ == 4:
            summary['counters'] += 1
            counter_vals[d.get(2, b'').decode('utf-8', 'replace')] += 1
            if not d.get('counter'):
                errors.append('counter value on a non-counter track')
            continue
        if d.get('counter'):
            errors.append('non-counter event on a counter track')
        for fl in flows:
            flow_seen[fl] += 1
        for fl in term:
            flow_seen[fl] += 1
        summary['flows_out'] += len(flows)
        summary['flows_in'] += len(term)
        if typ == 1:
            summary['slices'] += 1
            names[name] += 1
            cats[cat] += 1
            if cat == 'causal_chain':
                summary['chains'] += 1
            stacks[track].append(ts)
        elif typ == 2:
            if not stacks[track]:
                errors.append('slice end without begin on track %d at %d' % (track, ts))
            else:
                b = stacks[track].pop()
                if ts < b:
                    errors.append('slice ends before it begins')
        elif typ == 3:
            summary['instants'] += 1
            names[name] += 1
        else:
            errors.append('track event without a type')
    for t, s in stacks.items():
        if s:
            errors.append('%d unterminated slices on track %d' % (len(s), t))
    for fl, n in flow_seen.items():
        if n < 2:
            errors.append('flow %d has only one end' % fl)
    summary['threads'] = sum(1 for d in descs.values() if 4 in d)
    summary['processes'] = sum(1 for d in descs.values() if 3 in d)
    summary['counter_tracks'] = sum(1 for d in descs.values() if d.get('counter'))
    summary['flows'] = len(flow_seen)
    summary['packets'] = n_packets
    # flows as the trace processor binds them: in timestamp order, flow_ids
    # open a flow (or continue an open one), terminating_flow_ids close an
    # open one; a terminating id with no open flow is dropped.
    by_chain = Counter()
    active = {}
    for ts, order, track, typ, name, cat, flows, term in sorted(events, key=lambda e: (e[0], e[1])):
        if typ not in (1, 3):
            continue
        for fl in flows:
            if fl in active:
                by_chain[str((fl >> 32) - 1)] += 1
            active[fl] = True
        for fl in term:
            if fl in active:
                by_chain[str((fl >> 32) - 1)] += 1
                del active[fl]
            else:
                summary['flows_dropped'] += 1
    summary['flows_connected'] = sum(by_chain.values())
    return {'first_flags': sorted(set(first_flags)), 'sequences': len(first_flags), 'summary': dict(summary), 'names': dict(names),
            'thread_names': sorted(d[4].get(5, b'').decode() for d in descs.values() if 4 in d),
            'process_names': sorted(d[3].get(6, b'').decode() for d in descs.values() if 3 in d),
            'flows_by_chain': dict(by_chain), 'slice_categories': dict(cats),
            'counter_values': dict(counter_vals),
            'track_names': sorted(d[2].decode('utf-8', 'replace') for d in descs.values() if 2 in d),
            'errors': errors[:50], 'nerrors': len(errors)}


def walk_json(path):
    d = json.load(open(path))
    ev = d['traceEvents'] if isinstance(d, dict) else d
    s = Counter()
    names = Counter()
    # v1 flows as the importer binds them: sorted by time (stable), "s" opens, "f" closes an open one
    by_chain = Counter()
    active = set()
    for e in sorted((e for e in ev if e.get('ph') in ('s', 'f')), key=lambda e: float(e['ts'])):
        fid = int(e['id'])
        if e['ph'] == 's':
            active.add(fid)
        elif fid in active:
            by_chain[str((fid >> 32) - 1)] += 1
            active.discard(fid)
        else:
            s['flows_dropped'] += 1
    s['flows_connected'] = sum(by_chain.values())
    for e in ev:
        ph = e.get('ph')
        if ph == 'X':
            s['slices'] += 1
            names[e['name']] += 1
            if e.get('cat') == 'causal_chain':
                s['chains'] += 1
        elif ph == 'i':
            s['instants'] += 1
            names[e['name']] += 1
        elif ph == 'C':
            s['counters'] += 1
        elif ph == 's':
            s['flows'] += 1
        elif ph == 'M' and e['name'] == 'thread_name' and not e['args']['name'].endswith('off-CPU') \
                and 'block I/O' not in e['args']['name'] and not e['args']['name'].startswith('steps (') \
                and e['pid'] != 1:
            s['threads'] += 1
        elif ph == 'M' and e['name'] == 'process_name':
            s['processes'] += 1
    return {'summary': dict(s), 'names': dict(names), 'flows_by_chain': dict(by_chain), 'errors': [], 'nerrors': 0}


def flat(r):
    """key=value lines (shell tests grep them): summary.X, names (whole dict), ..."""
    out = []
    for k, v in sorted(r.items()):
        if k == 'summary':
            for k2, v2 in sorted(v.items()):
                out.append('summary.%s=%s' % (k2, v2))
        else:
            out.append('%s=%s' % (k, json.dumps(v, sort_keys=True)))
    return '\n'.join(out)


if __name__ == '__main__':
    args = sys.argv[1:]
    as_flat = args[0] == '--flat'
    if as_flat:
        args = args[1:]
    r = walk_json(args[1]) if args[0] == '--json' else walk(args[0])
    print(flat(r) if as_flat else json.dumps(r, sort_keys=True))
    sys.exit(1 if r['nerrors'] else 0)
