/** Unit tests of templates: paths, typing, encoding, failing closed, secrets and load-time checks. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkTemplates,
  lookupPath,
  renderString,
  renderValue,
  type TemplateContext,
  TemplateError,
  templateRefs,
} from './template.ts';

const CTX: TemplateContext = {
  params: {
    replicas: 3,
    name: 'web',
    nested: { ok: true, list: [10, 20] },
    path: '../admin?x=1&y=2',
    nothing: null,
  },
  targets: [
    { id: 'api-1', zone: 'eu' },
    { id: 'api-2', zone: 'us' },
  ],
  target: { id: 'api-2', zone: 'us' },
  action: { id: 'act_123', type: 'service.scale' },
  environment: 'production',
  agent: { id: 'agent-7' },
};
const ENV = { API: 'https://deploy.internal/v1', TOKEN: 'tok-secret-value', SHORT: 'ab' };

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof TemplateError && message.test(error.message));
}

describe('renderString', () => {
  it('interpolates paths: dotted, indexed, the bound target, the action', () => {
    const cases: [string, string][] = [
      ['{{params.name}}', 'web'],
      ['{{ params.nested.list[1] }}', '20'],
      ['{{targets[0].id}}-{{targets[1].zone}}', 'api-1-us'],
      ['{{target.id}}', 'api-2'],
      ['{{action.id}}/{{action.type}}', 'act_123/service.scale'],
      ['{{environment}} by {{agent.id}}', 'production by agent-7'],
      ['no placeholders', 'no placeholders'],
    ];
    for (const [template, expected] of cases) assert.equal(renderString(template, CTX, ENV).value, expected);
  });

  it('writes non-strings as JSON', () => {
    assert.equal(renderString('n={{params.replicas}}', CTX, ENV).value, 'n=3');
    assert.equal(renderString('{{params.nested}}', CTX, ENV).value, '{"ok":true,"list":[10,20]}');
    assert.equal(renderString('{{params.nothing}}', CTX, ENV).value, 'null');
  });

  it('percent-encodes substituted values for URLs, but not env values', () => {
    const { value } = renderString('{{env.API}}/apps/{{params.path}}', CTX, ENV, { encode: 'uri' });
    assert.equal(value, 'https://deploy.internal/v1/apps/..%2Fadmin%3Fx%3D1%26y%3D2');
  });

  it('fails closed on a missing value, naming the placeholder', () => {
    refused(
      () => renderString('x {{ params.missing }} y', CTX, ENV),
      /\{\{ params\.missing \}\} has no value/,
    );
    refused(() => renderString('{{targets[5].id}}', CTX, ENV), /targets\[5\]\.id/);
    refused(() => renderString('{{params.name.first}}', CTX, ENV), /has no value/);
    refused(() => renderString('{{env.NOPE}}', CTX, ENV), /NOPE is not set/);
    refused(() => renderString('{{target.id}}', { ...CTX, target: null }, ENV), /only when run per target/);
    refused(() => renderString('{{original.params.x}}', CTX, ENV), /has no value/);
  });

  it('never reaches inherited properties', () => {
    refused(() => renderString('{{params.constructor}}', CTX, ENV), /has no value/);
    refused(() => renderString('{{params.__proto__}}', CTX, ENV), /has no value/);
  });

  it('reports the secrets it used', () => {
    const rendered = renderString('Bearer {{secret.TOKEN}} for {{env.API}}', CTX, ENV);
    assert.deepEqual(rendered, {
      value: 'Bearer tok-secret-value for https://deploy.internal/v1',
      secrets: ['tok-secret-value'],
    });
    assert.deepEqual(renderString('{{env.TOKEN}}', CTX, ENV).secrets, []);
  });

  it('refuses a secret where it is forbidden (a URL)', () => {
    const options = { encode: 'uri', forbidSecretsIn: 'a URL' } as const;
    refused(
      () => renderString('{{env.API}}?key={{secret.TOKEN}}', CTX, ENV, options),
      /secret may not be used in a URL/,
    );
  });

  it('reads the original action for rollbacks', () => {
    const original = { params: { previous: 5 }, targets: [], target: null, output: { revision: 'r41' } };
    const ctx = { ...CTX, original };
    assert.equal(
      renderString('{{original.params.previous}} {{original.output.revision}}', ctx, ENV).value,
      '5 r41',
    );
  });
});

describe('renderValue', () => {
  it('keeps the JSON type of a string that is exactly one placeholder', () => {
    const body = {
      replicas: '{{params.replicas}}',
      nested: '{{params.nested}}',
      targets: '{{targets}}',
      label: 'x{{params.replicas}}',
      padded: ' {{params.replicas}}',
      '{{params.name}}': ['{{params.nested.ok}}', 7, false, null],
    };
    assert.deepEqual(renderValue(body, CTX, ENV).value, {
      replicas: 3,
      nested: { ok: true, list: [10, 20] },
      targets: CTX.targets,
      label: 'x3',
      padded: ' 3',
      '{{params.name}}': [true, 7, false, null],
    });
  });

  it('collects secrets from every string, whole or interpolated', () => {
    const { secrets } = renderValue({ a: '{{secret.TOKEN}}', b: ['key {{secret.TOKEN}}'] }, CTX, ENV);
    assert.deepEqual(secrets, ['tok-secret-value', 'tok-secret-value']);
  });

  it('fails closed on any missing value, however deep', () => {
    refused(() => renderValue({ a: [{ b: '{{params.gone}}' }] }, CTX, ENV), /params\.gone/);
  });

  it('refuses values that are not JSON', () => {
    refused(() => renderValue({ when: new Date(0) }, CTX, ENV), /when is not JSON/);
    refused(() => renderValue({ n: Number.NaN }, CTX, ENV), /n is not JSON/);
  });
});

describe('templateRefs', () => {
  it('lists every env and secret variable, deduplicated and sorted', () => {
    const spec = {
      url: '{{env.B_URL}}/x/{{params.a}}',
      headers: { authorization: 'Bearer {{secret.TOKEN}}', 'x-other': '{{secret.A_KEY}}{{env.B_URL}}' },
      body: { list: ['{{env.A_REGION}}', '{{secret.TOKEN}}'] },
    };
    assert.deepEqual(templateRefs(spec), { env: ['A_REGION', 'B_URL'], secrets: ['A_KEY', 'TOKEN'] });
  });
});

describe('checkTemplates', () => {
  it('finds nothing wrong in good templates', () => {
    assert.deepEqual(checkTemplates({ a: '{{params.x}}', b: ['{{ targets[0].id }}', 'plain', 3] }), []);
  });

  it('names each bad template and where it is', () => {
    const problems = checkTemplates({
      url: 'http://x/{{params.a',
      headers: { h: '{{foo.x}}' },
      argv: ['ok', '{{env.A.B}}', '{{ }}', '{{params..x}}'],
    });
    assert.deepEqual(
      problems.map((p) => [p.path, p.template]),
      [
        ['url', 'http://x/{{params.a'],
        ['headers.h', '{{foo.x}}'],
        ['argv[1]', '{{env.A.B}}'],
        ['argv[2]', '{{ }}'],
        ['argv[3]', '{{params..x}}'],
      ],
    );
    assert.match(problems[0]?.message ?? '', /unclosed/);
    assert.match(problems[1]?.message ?? '', /unknown "foo"/);
    assert.match(problems[2]?.message ?? '', /env\.NAME/);
  });
});

describe('lookupPath', () => {
  it('reads dotted and indexed paths of own properties only', () => {
    const body = { status: { ready: true }, items: [{ name: 'a' }] };
    assert.equal(lookupPath(body, 'status.ready'), true);
    assert.equal(lookupPath(body, 'items[0].name'), 'a');
    assert.equal(lookupPath(body, 'items[1].name'), undefined);
    assert.equal(lookupPath(body, 'status.toString'), undefined);
    assert.equal(lookupPath(body, 'not a path'), undefined);
  });
});
