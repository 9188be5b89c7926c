/** Tests a valid catalog compiled from YAML: its types and defaults, Catalog.check on requests, and derived examples. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActionRequest } from '../domain/action.ts';
import { entry, load } from './catalog-test-helpers.ts';

const CATALOG = `version: 1
types:
  deployment.scale:
    description: Change the replica count.
    tier: medium
    domains: [performance]
    reversible: true
    targets:
      min: 1
      max: 2
      attributes:
        type: object
        properties:
          zone: { type: string, enum: [eu, us] }
    params:
      type: object
      required: [replicas, reason]
      additionalProperties: false
      properties:
        replicas: { type: integer, minimum: 0, maximum: 10 }
        reason: { type: string }
    example: { replicas: 3, reason: load }
  service.restart:
    description: Restart a service.
    tier: low
    domains: [performance, configuration]
    reversible: true
    verification:
      window: 2m
      checks:
        - kind: http
          url: http://x/healthz
`;

function request(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    type: 'deployment.scale',
    environment: 'staging',
    targets: [{ id: 'web-1' }],
    params: { replicas: 3, reason: 'load' },
    confidence: null,
    anomalyScore: null,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides,
  };
}

describe('compileCatalog: a valid catalog', () => {
  const catalog = load(['catalog.yaml', CATALOG]);

  it('loads every type with its settings and defaults', () => {
    assert.equal(catalog.size, 2);
    assert.deepEqual(
      catalog.list().map((e) => e.type),
      ['deployment.scale', 'service.restart'],
    );
    const restart = catalog.get('service.restart');
    assert.ok(restart);
    assert.equal(restart.tier, 'low');
    assert.deepEqual(restart.domains, ['performance', 'configuration']);
    assert.deepEqual(restart.targets, { min: 1, max: 100 });
    assert.deepEqual(restart.paramsSchema, { type: 'object' });
    assert.deepEqual(restart.example, {});
    assert.equal(restart.validateTarget, null);
    assert.deepEqual(restart.verification, {
      window: 120_000,
      interval: 10_000,
      checks: [
        {
          kind: 'http',
          url: 'http://x/healthz',
          method: 'GET',
          headers: {},
          timeout: 5_000,
          expectStatus: 200,
          perTarget: false,
        },
      ],
    });
    assert.equal(restart.execution, null, 'no execution block: the agent executes under a permit');
    assert.equal(catalog.get('deployment.scale')?.verification, null);
    assert.deepEqual(catalog.get('deployment.scale')?.example, { replicas: 3, reason: 'load' });
  });

  it('accepts a good request', () => {
    const checked = catalog.check(request());
    assert.equal(checked.ok, true);
    assert.equal(checked.ok && checked.entry.type, 'deployment.scale');
  });

  it('accepts targets whose attributes satisfy the schema', () => {
    const checked = catalog.check(request({ targets: [{ id: 'a', zone: 'eu' }, { id: 'b' }] }));
    assert.equal(checked.ok, true);
  });

  it('answers an unknown type with a did-you-mean hint from the same family', () => {
    assert.deepEqual(catalog.check(request({ type: 'deployment.scal' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [
        { path: 'type', message: 'unknown action type "deployment.scal" (did you mean "deployment.scale"?)' },
      ],
    });
    assert.deepEqual(catalog.check(request({ type: 'service.reboot' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [
        { path: 'type', message: 'unknown action type "service.reboot" (did you mean "service.restart"?)' },
      ],
    });
  });

  it('answers an unknown type without a hint when nothing is similar', () => {
    assert.deepEqual(catalog.check(request({ type: 'database.migrate' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [{ path: 'type', message: 'unknown action type "database.migrate"' }],
    });
  });

  const invalid: {
    name: string;
    request: Partial<ActionRequest>;
    details: { path: string; message: string }[];
  }[] = [
    {
      name: 'too few targets',
      request: { targets: [] },
      details: [{ path: 'targets', message: 'deployment.scale needs at least 1 target' }],
    },
    {
      name: 'too many targets',
      request: { targets: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
      details: [{ path: 'targets', message: 'deployment.scale allows at most 2 targets' }],
    },
    {
      name: 'a param of the wrong type',
      request: { params: { replicas: 'three', reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be integer' }],
    },
    {
      name: 'a param below its minimum',
      request: { params: { replicas: -1, reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be >= 0' }],
    },
    {
      name: 'a param above its maximum',
      request: { params: { replicas: 11, reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be <= 10' }],
    },
    {
      name: 'a missing required param',
      request: { params: { replicas: 1 } },
      details: [{ path: 'params.reason', message: 'is required' }],
    },
    {
      name: 'a param that is not allowed',
      request: { params: { replicas: 1, reason: 'load', extra: true } },
      details: [{ path: 'params.extra', message: 'is not an allowed field' }],
    },
    {
      name: 'a target attribute outside its enum',
      request: {
        targets: [
          { id: 'a', zone: 'eu' },
          { id: 'b', zone: 'mars' },
        ],
      },
      details: [{ path: 'targets[1].zone', message: 'must be equal to one of the allowed values' }],
    },
    {
      name: 'every problem at once',
      request: { targets: [{ id: 'a', zone: 1 }, { id: 'b' }, { id: 'c' }], params: { replicas: 100 } },
      details: [
        { path: 'targets', message: 'deployment.scale allows at most 2 targets' },
        { path: 'targets[0].zone', message: 'must be string' },
        { path: 'targets[0].zone', message: 'must be equal to one of the allowed values' },
        { path: 'params.reason', message: 'is required' },
        { path: 'params.replicas', message: 'must be <= 10' },
      ],
    },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with validation_failed`, () => {
      assert.deepEqual(catalog.check(request(c.request)), {
        ok: false,
        code: 'validation_failed',
        details: c.details,
      });
    });
  }
});

describe('compileCatalog: derived examples', () => {
  it('derives an example from defaults, enums and minimums, and it validates', () => {
    const catalog = load([
      'cat.yaml',
      `types:
${entry(
  'service.restart',
  `    params:
      type: object
      required: [mode, grace, tags]
      properties:
        mode: { type: string, enum: [rolling, all] }
        grace: { type: integer, minimum: 5 }
        note: { type: string, default: hello }
        tags: { type: array, minItems: 2, items: { type: string, minLength: 8 } }
        force: { type: boolean }
        ratio: { type: number }
`,
)}`,
    ]);
    const entryOf = catalog.get('service.restart');
    assert.ok(entryOf);
    assert.deepEqual(entryOf.example, {
      mode: 'rolling',
      grace: 5,
      note: 'hello',
      tags: ['xxxxxxxx', 'xxxxxxxx'],
      force: false,
      ratio: 1,
    });
    assert.equal(entryOf.validateParams(entryOf.example), true);
    assert.equal(catalog.check(request({ type: 'service.restart', params: entryOf.example })).ok, true);
  });

  it('prefers the first of `examples` when the schema gives them', () => {
    const catalog = load([
      'cat.yaml',
      `types:\n${entry('a.b', '    params:\n      type: object\n      examples: [{ n: 4 }]\n      properties:\n        n: { type: integer }\n')}`,
    ]);
    assert.deepEqual(catalog.get('a.b')?.example, { n: 4 });
  });
});
