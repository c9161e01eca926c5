// Which addresses the writing surface shows as embed cards (editor/src/embed.js): the server's
// providers (markdown/embeds.cc, tests/markdown/embeds_test.cc), lookalikes refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedProvider } from '../../editor/src/embed.js';

test('each provider\'s page addresses are recognised', () => {
  const cases = {
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ': 'YouTube',
    'https://youtu.be/dQw4w9WgXcQ?t=90': 'YouTube',
    'https://youtube.com/shorts/a_B-c1d2E3f': 'YouTube',
    'https://vimeo.com/76979871': 'Vimeo',
    'https://soundcloud.com/some-artist/a-track': 'SoundCloud',
    'https://datawrapper.dwcdn.net/dxRQ7/3/': 'Datawrapper',
    'https://public.flourish.studio/visualisation/1234567/': 'Flourish',
    'https://twitter.com/jack/status/20': 'X',
    'https://bsky.app/profile/someone.bsky.social/post/3kq2abcdefg2x': 'Bluesky',
    'https://mastodon.social/@Gargron/109371990123456789': 'Mastodon',
  };
  for (const [address, provider] of Object.entries(cases)) assert.equal(embedProvider(address), provider, address);
});

test('lookalikes and odd identifiers are no embeds', () => {
  for (const address of [
    'https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ',
    'https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ',
    'https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ',
    'https://www.you%74ube.com/watch?v=dQw4w9WgXcQ',
    'https://www.youtube.com:444/watch?v=dQw4w9WgXcQ',
    'https://www.youtube.com/watch?v=dQw4w9WgXc"',
    'javascript:alert(1)//youtu.be/dQw4w9WgXcQ',
    'https://vimeo.com/12ab',
    'https://x.com/jack/status/20abc',
    'https://twitter.com/@jack/20',
    'https://localhost/@user/12',
    'https://example.org/page',
    '',
    null,
  ]) {
    assert.equal(embedProvider(address), null, String(address));
  }
});

// The server's table (tests/markdown/embeds_test.cc reads it too): the editor shows a card for
// exactly the addresses the page makes an embed of.
test('the shared table of addresses is read as the server reads it (tests/vectors/embeds.json)', async () => {
  const { readFileSync } = await import('node:fs');
  const vectors = JSON.parse(readFileSync(new URL('../vectors/embeds.json', import.meta.url))).addresses;
  assert.ok(vectors.length > 50);
  for (const { address, name } of vectors) assert.equal(embedProvider(address), name || null, address);
});
