/** MCP tool mappings: first match wins, templates over arguments, the unmapped default, and load problems with their lines. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entry, load, problemsOf } from './catalog-test-helpers.ts';
import { render } from './tool-mapping.ts';

const TYPES = `types:
${entry('file.read')}${entry('file.write')}${entry(
  'gateway.run',
  `    execution:
      executor: { kind: command, argv: [/bin/true] }
`,
)}`;

const MAPPED = `${TYPES}mcp:
  environment: staging
  tools:
    - tool: fs.write_file
      type: file.write
      environment: "{{ args.env }}"
      targets: [{ id: "{{ args.path }}", kind: file }]
      params: { path: "{{ args.path }}", size: "{{ args.size }}", note: "write {{ args.path }} ({{ name }} on {{ server }})" }
    - { tool: "fs.*", type: file.read }
`;

const call = (tool: string, args: Record<string, unknown>) => {
  const [server = '', name = ''] = tool.split('.');
  return { tool, server, name, args: args as never };
};

describe('MCP tool mappings', () => {
  it('maps arguments into params, targets and environment; a lone placeholder keeps its type', () => {
    const mapper = load(['catalog.yaml', MAPPED]).tools;
    const result = mapper.map(call('fs.write_file', { path: '/etc/motd', size: 12, env: 'production' }));
    assert.ok(result.ok);
    assert.deepEqual(result.call, {
      type: 'file.write',
      environment: 'production',
      targets: [{ id: '/etc/motd', kind: 'file' }],
      params: { path: '/etc/motd', size: 12, note: 'write /etc/motd (write_file on fs)' },
      mapping: 0,
    });
  });

  it('first match wins; without params the arguments are the params; the section environment is the default', () => {
    const mapper = load(['catalog.yaml', MAPPED]).tools;
    const result = mapper.map(call('fs.read_file', { path: '/a' }));
    assert.ok(result.ok);
    assert.deepEqual(result.call, {
      type: 'file.read',
      environment: 'staging',
      targets: [{ id: 'fs.read_file' }],
      params: { path: '/a' },
      mapping: 1,
    });
    assert.deepEqual(mapper.typeOf('fs.write_file'), { type: 'file.write', environment: null });
    assert.deepEqual(mapper.typeOf('fs.list'), { type: 'file.read', environment: 'staging' });
  });

  it('an unmapped tool becomes the unmapped type, declared by the catalog at tier high', () => {
    const catalog = load(['catalog.yaml', MAPPED]);
    const result = catalog.tools.map(call('db.drop_table', { name: 'users' }));
    assert.ok(result.ok);
    assert.equal(result.call.type, 'mcp.unmapped');
    assert.deepEqual(result.call.params, { tool: 'db.drop_table', arguments: { name: 'users' } });
    assert.equal(catalog.get('mcp.unmapped')?.tier, 'high');
    assert.equal(catalog.get('mcp.unmapped')?.reversible, false);
  });

  it('a missing argument is a mapping failure naming it, not a hole in the request', () => {
    const mapper = load(['catalog.yaml', MAPPED]).tools;
    const result = mapper.map(call('fs.write_file', { size: 1, env: 'staging' }));
    assert.deepEqual(result, {
      ok: false,
      message: "the argument path is missing (the catalog's mcp mapping needs it)",
    });
    const badEnv = mapper.map(call('fs.write_file', { path: '/a', size: 1, env: 3 }));
    assert.equal(badEnv.ok, false);
  });

  it('without an mcp section every tool falls to mcp.unmapped, which the catalog does not declare', () => {
    const catalog = load(['catalog.yaml', TYPES]);
    assert.equal(catalog.get('mcp.unmapped'), undefined);
    assert.equal(catalog.tools.typeOf('any.tool').type, 'mcp.unmapped');
  });

  it('load problems: an unknown type, a gateway-executed type, a bad template root, a second section', () => {
    const problems = problemsOf(
      [
        'catalog.yaml',
        `${TYPES}mcp:
  tools:
    - { tool: "a.*", type: no.such }
    - { tool: "b.*", type: gateway.run }
    - { tool: "c.*", type: file.read, targets: [{ id: "{{ params.path }}" }] }
`,
      ],
      ['more.yaml', 'mcp: { environment: staging }\n'],
    );
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.path, p.message.slice(0, 40)]),
      [
        ['more.yaml', 1, 'mcp', 'the mcp section is already given in cata'],
        ['catalog.yaml', 21, 'mcp.tools[0].type', 'no action type "no.such" in the catalog'],
        ['catalog.yaml', 22, 'mcp.tools[1].type', '"gateway.run" is executed by Airlock\'s o'],
        ['catalog.yaml', 23, 'mcp.tools[2].targets[0].id', '"{{ params.path }}" refers to nothing: u'],
      ],
    );
  });

  it('render: strings interpolate, lone placeholders keep JSON types, nested values are walked', () => {
    const scope = { args: { n: 3, list: [1, 2], o: { k: 'v' } }, tool: 't' };
    assert.deepEqual(
      render({ a: '{{ args.n }}', b: 'n={{ args.n }}', c: ['{{ args.list }}', '{{args.o.k}}'] }, scope),
      {
        a: 3,
        b: 'n=3',
        c: [[1, 2], 'v'],
      },
    );
  });
});
