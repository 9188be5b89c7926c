/**
 * Identifiers that sort by creation: `act_` + 10 base-32 digits of the time in milliseconds, 4 of a
 * per-process counter (so ids made in the same millisecond keep their order), and 12 random.
 */

import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

let lastTime = -1;
let counter = 0;

// One system call per 341 ids instead of one each.
const pool = Buffer.alloc(4092);
let poolOffset = pool.length;

function randomTail(): string {
  if (poolOffset + 12 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let tail = '';
  for (let i = poolOffset; i < poolOffset + 12; i++) tail += ALPHABET[(pool[i] ?? 0) % 32];
  poolOffset += 12;
  return tail;
}

function base32(value: number, digits: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < digits; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

export function newId(prefix: string, at: Date): string {
  const time = at.getTime();
  if (time > lastTime) {
    lastTime = time;
    counter = 0;
  } else {
    // Same millisecond, or a clock that stepped back: keep counting from the last time seen.
    counter += 1;
    if (counter >= 32 ** 4) {
      lastTime += 1;
      counter = 0;
    }
  }
  return `${prefix}_${base32(lastTime, 10)}${base32(counter, 4)}${randomTail()}`;
}
