/**
 * `airlock mcp`: an agent's MCP client talks stdio to this process, which relays every message,
 * unchanged, to the Airlock server's `/mcp` endpoint with the agent's token. Governance and the
 * upstream servers (and their credentials) stay in the server; the bridge holds only the token.
 */

import type { Readable, Writable } from 'node:stream';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  isInitializeRequest,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';

export interface BridgeOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: URL;
  readonly token: string;
  /** Sent so the server can refuse a token of another agent. */
  readonly agent: string;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** One line per problem, for stderr (stdout is the protocol). */
  readonly log: (line: string) => void;
}

/** Relay until either side closes; resolves then. */
export async function runStdioBridge(options: BridgeOptions): Promise<void> {
  const remote = new StreamableHTTPClientTransport(new URL('/mcp', options.url), {
    requestInit: { headers: { authorization: `Bearer ${options.token}`, 'x-airlock-agent': options.agent } },
  });
  const local = new StdioServerTransport(options.stdin, options.stdout);
  let initializeId: string | number | null = null;
  let closed = false;

  const done = new Promise<void>((resolve) => {
    const close = (why: string | null) => {
      if (closed) return;
      closed = true;
      if (why !== null) options.log(why);
      void remote
        .terminateSession()
        .catch(() => undefined)
        .finally(() => {
          void remote.close().catch(() => undefined);
        });
      void local.close().catch(() => undefined);
      resolve();
    };
    local.onclose = () => close(null);
    remote.onclose = () => close('the Airlock server closed the connection');
  });

  local.onmessage = (message: JSONRPCMessage) => {
    if (isInitializeRequest(message) && isJSONRPCRequest(message)) initializeId = message.id;
    remote.send(message).catch((error: unknown) => {
      const text = `Airlock is unreachable or refused the message: ${(error as Error).message}`;
      options.log(text);
      // A request must be answered, or the agent waits for ever.
      if (isJSONRPCRequest(message))
        void local.send({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: text } });
    });
  };
  // A line that is not a JSON-RPC message: answered with a parse error; the bridge carries on.
  local.onerror = (error) => {
    options.log(`bad message on stdin: ${error.message}`);
    void local.send({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: `Parse error: ${error.message}` },
    } as unknown as JSONRPCMessage);
  };
  remote.onmessage = (message: JSONRPCMessage) => {
    if (initializeId !== null && isJSONRPCResultResponse(message) && message.id === initializeId) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') remote.setProtocolVersion(version);
      initializeId = null;
    }
    void local.send(message).catch(() => undefined);
  };
  remote.onerror = (error) => options.log(`Airlock: ${error.message}`);

  await remote.start();
  await local.start();
  return done;
}
