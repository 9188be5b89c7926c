/**
 * Headless Chromium for the console's end-to-end tests and screenshots: the system's browser
 * (Debian `chromium`), driven by playwright-core; a browser is never downloaded.
 */

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.AIRLOCK_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM} (Debian package chromium; or set AIRLOCK_CHROMIUM)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}
