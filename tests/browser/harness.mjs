// What every browser test file needs around its tests: the address a `broadsheet serve` started
// with `--listen 127.0.0.1:0` reports, and chromium started as this machine allows (headless,
// no sandbox, no network of its own).
import { chromium } from 'playwright-core';

// The server's http://127.0.0.1:PORT, read from its log; rejects if it exits first.
export function addressOf(server) {
  return new Promise((resolve, reject) => {
    let seen = '';
    server.stderr.on('data', (chunk) => {
      seen += chunk;
      const found = seen.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (found) resolve(found[1]);
    });
    server.on('exit', () => reject(new Error('server exited: ' + seen)));
  });
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}
