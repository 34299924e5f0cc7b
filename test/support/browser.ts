// One way to start headless Chromium for the browser tests (driven by playwright-core): Debian's
// chromium-headless-shell when installed, else the full chromium in headless mode (chromium-launcher.sh).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

// Required, not imported: playwright-core is CommonJS, and an ESM import of it first scans its 3.6 MB
// bundle for export names (Node's CJS lexer): 440-500 ms of CPU per worker that loads it, against
// ~260 ms for require (Node 20, this project's 2-core machine).
const { chromium } = createRequire(import.meta.url)('playwright-core') as typeof import('playwright-core');

// The page's global, in the callbacks that run in the page (the project compiles without the DOM library).
declare const document: any;

const LAUNCHER = fileURLToPath(new URL('./chromium-launcher.sh', import.meta.url));

// For the full browser: its headless mode is the whole browser, and every window preloads the omnibox's two WebUI popups,
// each a renderer of its own that works on every navigation. No test uses an address bar; without them
// the browser tests took ~35% less CPU (30 -> 19-22 CPU-s for browser.test.ts's process tree).
const UNUSED_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: LAUNCHER,
    env: { ...process.env, GATEHOUSE_CHROMIUM_DISABLE_FEATURES: UNUSED_FEATURES.join(',') },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go: none are taken unless GATEHOUSE_SCREENSHOTS names a directory (a full-page PNG costs Chromium CPU and nothing reads it). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const shots = process.env['GATEHOUSE_SCREENSHOTS'];
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** How far the page is wider than its window: more than 0 means it scrolls sideways. */
export const horizontalOverflow = (page: Page): Promise<number> =>
  page.evaluate(() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth);
