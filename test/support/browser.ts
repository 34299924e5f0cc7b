// One way to start headless Chromium for the browser tests (Debian's chromium, driven by playwright-core).
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const LAUNCHER = fileURLToPath(new URL('./chromium-launcher.sh', import.meta.url));

// Chromium's new headless mode is the whole browser: every window preloads the omnibox's two WebUI popups,
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
