/** Tests ChainVerifier on chains built by chainEvents: intact chains, every kind of tampering, anchors. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type AuditRecord, chainEvents, GENESIS_HASH, type NewAuditEvent } from './audit-event.ts';
import { ChainVerifier, type VerifyReport } from './chain-verifier.ts';

const AT = '2026-03-30T07:30:00.000Z';

function newEvent(i: number): NewAuditEvent {
  return {
    kind: i % 2 === 0 ? 'action.proposed' : 'action.decided',
    actor: i % 3 === 0 ? { kind: 'person', id: 'alice' } : { kind: 'agent', id: `bot-${i}` },
    subject: i % 4 === 0 ? null : `act_${i}`,
    data: { n: i, note: `event ${i}`, tags: ['a', i] },
  };
}

function chain(length: number): AuditRecord[] {
  return chainEvents(
    null,
    Array.from({ length }, (_, i) => newEvent(i + 1)),
    AT,
  );
}

function verify(records: readonly AuditRecord[], anchor?: string): VerifyReport {
  const verifier = new ChainVerifier({ anchor });
  for (const record of records) verifier.push(record);
  return verifier.report();
}

type Field = keyof AuditRecord;

/** A copy of `record` with one field changed to a different value of the same type. */
function tamper(record: AuditRecord, field: Field): AuditRecord {
  switch (field) {
    case 'seq':
      return { ...record, seq: record.seq + 100 };
    case 'at':
      return { ...record, at: '2026-03-30T07:30:00.001Z' };
    case 'kind':
      return { ...record, kind: `${record.kind}.x` };
    case 'actor':
      return { ...record, actor: { ...record.actor, id: `${record.actor.id}-x` } };
    case 'subject':
      return { ...record, subject: record.subject === null ? 'act_x' : null };
    case 'data':
      return { ...record, data: record.data.replace('"event ', '"Event ') };
    case 'prevHash':
    case 'hash': {
      const hex = record[field];
      return { ...record, [field]: (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1) };
    }
  }
}

const FIELDS: readonly Field[] = ['data', 'kind', 'actor', 'subject', 'at', 'seq', 'prevHash', 'hash'];

describe('ChainVerifier', () => {
  it('verifies an intact chain: ok, the event count, and head = the last hash', () => {
    const records = chain(5);
    assert.deepEqual(verify(records), {
      ok: true,
      events: 5,
      head: records[4]!.hash,
      firstBad: null,
      problem: null,
    });
  });

  it('builds chains that start at the genesis hash and link each event to the one before', () => {
    const records = chain(3);
    assert.deepEqual(
      records.map((r) => r.seq),
      [1, 2, 3],
    );
    assert.equal(records[0]!.prevHash, GENESIS_HASH);
    assert.equal(records[1]!.prevHash, records[0]!.hash);
    assert.equal(records[2]!.prevHash, records[1]!.hash);
    assert.match(records[0]!.hash, /^[0-9a-f]{64}$/);
    assert.equal(records[0]!.data, '{"n":1,"note":"event 1","tags":["a",1]}');
  });

  it('verifies an empty chain with no head', () => {
    assert.deepEqual(verify([]), { ok: true, events: 0, head: null, firstBad: null, problem: null });
  });

  it('fails an empty chain when an anchor is given', () => {
    const report = verify([], 'f'.repeat(64));
    assert.equal(report.ok, false);
    assert.equal(report.firstBad, 1);
    assert.equal(report.head, null);
  });

  describe('a change to any field of any event is found at that event', () => {
    const records = chain(4);
    const expectedProblem = (field: Field, seq: number) => {
      if (field === 'seq') return `expected event ${seq}, found ${seq + 100} (an event is missing or moved)`;
      if (field === 'prevHash') return `event ${seq} does not link to the event before it`;
      return `event ${seq} does not match its hash (it was changed)`;
    };
    for (const field of FIELDS) {
      for (let index = 0; index < records.length; index++) {
        const seq = index + 1;
        it(`${field} of event ${seq}`, () => {
          const tampered = records.slice();
          tampered[index] = tamper(records[index]!, field);
          assert.notDeepEqual(tampered[index], records[index]);
          assert.deepEqual(verify(tampered), {
            ok: false,
            events: 4,
            head: index === 0 ? null : records[index - 1]!.hash,
            firstBad: seq,
            problem: expectedProblem(field, seq),
          });
        });
      }
    }
  });

  it('detects a changed event even when its hash is recomputed, at the next event', () => {
    const records = chain(3);
    const [edited] = chainEvents(
      { seq: 1, hash: records[0]!.hash },
      [{ ...newEvent(2), data: { n: 2, note: 'rewritten', tags: [] } }],
      AT,
    );
    const report = verify([records[0]!, edited!, records[2]!]);
    assert.equal(report.ok, false);
    assert.equal(report.firstBad, 3);
    assert.equal(report.problem, 'event 3 does not link to the event before it');
  });

  describe('missing and moved events', () => {
    const records = chain(5);
    const cases: { name: string; records: AuditRecord[]; firstBad: number; problem: string }[] = [
      {
        name: 'deleting the first event',
        records: records.slice(1),
        firstBad: 1,
        problem: 'expected event 1, found 2 (an event is missing or moved)',
      },
      {
        name: 'deleting a middle event',
        records: [...records.slice(0, 2), ...records.slice(3)],
        firstBad: 3,
        problem: 'expected event 3, found 4 (an event is missing or moved)',
      },
      {
        name: 'swapping two neighbouring events',
        records: [records[0]!, records[2]!, records[1]!, records[3]!, records[4]!],
        firstBad: 2,
        problem: 'expected event 2, found 3 (an event is missing or moved)',
      },
      {
        name: 'swapping the first and the last event',
        records: [records[4]!, ...records.slice(1, 4), records[0]!],
        firstBad: 1,
        problem: 'expected event 1, found 5 (an event is missing or moved)',
      },
      {
        name: 'deleting an event and renumbering the rest',
        records: [records[0]!, ...records.slice(2).map((r) => ({ ...r, seq: r.seq - 1 }))],
        firstBad: 2,
        problem: 'event 2 does not link to the event before it',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const report = verify(c.records);
        assert.equal(report.ok, false);
        assert.equal(report.firstBad, c.firstBad);
        assert.equal(report.problem, c.problem);
        assert.equal(report.events, c.records.length);
      });
    }
  });

  describe('anchors', () => {
    const records = chain(6);

    it('a truncated tail verifies without an anchor (nothing to compare with)', () => {
      assert.equal(verify(records.slice(0, 4)).ok, true);
    });

    it('a truncated tail is detected when an earlier head is given as anchor', () => {
      const anchor = records[4]!.hash;
      assert.deepEqual(verify(records.slice(0, 4), anchor), {
        ok: false,
        events: 4,
        head: records[3]!.hash,
        firstBad: 5,
        problem: `the chain does not contain the anchored head ${anchor} (events were removed or replaced)`,
      });
    });

    it('an anchor that is present passes, whether it is the last event or an earlier one', () => {
      for (const index of [0, 3, 5]) {
        assert.deepEqual(verify(records, records[index]!.hash), {
          ok: true,
          events: 6,
          head: records[5]!.hash,
          firstBad: null,
          problem: null,
        });
      }
    });

    it('a replaced tail (re-chained after event 3) does not contain the anchor', () => {
      const anchor = records[5]!.hash;
      const replaced = [
        ...records.slice(0, 3),
        ...chainEvents({ seq: 3, hash: records[2]!.hash }, [newEvent(40), newEvent(50), newEvent(60)], AT),
      ];
      const report = verify(replaced, anchor);
      assert.equal(report.ok, false);
      assert.equal(report.firstBad, 7);
      assert.equal(report.head, replaced[5]!.hash);
    });

    it('a break before the anchor is reported as the break, not as the missing anchor', () => {
      const tampered = records.slice();
      tampered[1] = tamper(records[1]!, 'kind');
      const report = verify(tampered, records[5]!.hash);
      assert.equal(report.firstBad, 2);
      assert.equal(report.problem, 'event 2 does not match its hash (it was changed)');
    });
  });

  it('a chain continued from a head verifies as one chain', () => {
    const first = chainEvents(null, [newEvent(1), newEvent(2), newEvent(3)], AT);
    const last = first[2]!;
    const second = chainEvents(
      { seq: last.seq, hash: last.hash },
      [newEvent(4), newEvent(5)],
      '2026-03-30T08:00:00.000Z',
    );
    assert.deepEqual(
      second.map((r) => r.seq),
      [4, 5],
    );
    assert.equal(second[0]!.prevHash, last.hash);
    assert.deepEqual(verify([...first, ...second], last.hash), {
      ok: true,
      events: 5,
      head: second[1]!.hash,
      firstBad: null,
      problem: null,
    });
  });

  it('property: any single change, deletion or swap fails at or before the mutated position', () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('change' as const),
        at: fc.nat(),
        field: fc.constantFrom(...FIELDS),
      }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), mutation, (length, m) => {
        const records = chain(length);
        const anchor = records[length - 1]!.hash;
        const mutated = records.slice();
        const i = m.at % length;
        let position = i + 1;
        if (m.kind === 'change') {
          mutated[i] = tamper(records[i]!, m.field);
        } else if (m.kind === 'delete') {
          mutated.splice(i, 1);
        } else {
          fc.pre(length >= 2);
          let j = m.other % length;
          if (j === i) j = (j + 1) % length;
          [mutated[i], mutated[j]] = [records[j]!, records[i]!];
          position = Math.min(i, j) + 1;
        }
        const report = verify(mutated, anchor);
        assert.equal(report.ok, false);
        assert.notEqual(report.firstBad, null);
        assert.ok(report.firstBad! <= position, `firstBad ${report.firstBad} > mutated position ${position}`);
        assert.equal(typeof report.problem, 'string');
      }),
      { numRuns: 300 },
    );
  });
});
