// Embeds in the writing surface. A provider's address alone in a paragraph becomes an embed on
// the page (markdown/embeds.h decides, on the server); here such a paragraph shows as a card
// naming the provider, and stays an ordinary paragraph holding a link, so the Markdown it
// writes is the same line. Pasting a provider's address into an empty paragraph, or the
// toolbar's Embed dialog, makes such a paragraph.
import { Plugin, TextSelection } from 'prosemirror-state';
import { Decoration, DecorationSet } from 'prosemirror-view';

import data from '../../src/markdown/providers/providers.json' with { type: 'json' };

// The providers' names and hosts, from the file the server compiles in (src/markdown/providers/).
const providers = Object.fromEntries(data.providers.map((entry) => [entry.provider, entry]));
const hosts = (provider, role) => providers[provider].hosts[role] || [];
const named = (provider) => providers[provider].name;
const escapeDots = (domain) => domain.replace(/\./g, '\\.');
const KNOWN = new RegExp(`(^|\\.)(${data.known_domains.map(escapeDots).join('|')})$`);
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const digits = (text, max) => new RegExp(`^\\d{1,${max}}$`).test(text);

// The provider whose embed `address` makes ("YouTube", …), or null: the server's rules
// (markdown/embeds.cc), read the same strict way.
export function embedProvider(address) {
  // Split as markdown/embeds.cc's Split does, not with URL (which would decode "%64" and fold
  // "/a/../watch" into an address the server does not recognise).
  const shape = /^https?:\/\/([^/?#]*)([^\s"'<>\\`]*)$/i.exec(address || '');
  if (!shape || !/^[\x21-\x7e]*$/.test(address) || !/^[^@:%]+$/.test(shape[1]) || address.length > 2048) {
    return null;
  }
  const host = shape[1].toLowerCase().replace(/\.$/, '');
  let tail = shape[2].replace(/#.*$/, '');
  const question = tail.indexOf('?');
  const rawQuery = question < 0 ? '' : tail.slice(question + 1);
  if (question >= 0) tail = tail.slice(0, question);
  const path = tail.split('/').filter(Boolean);
  // The first `key=value` of the query, undecoded (embeds.cc's QueryValue).
  const query = {
    get: (key) => {
      const pair = rawQuery.split('&').find((part) => part.startsWith(key + '='));
      return pair ? pair.slice(key.length + 1) : null;
    },
  };
  const id11 = (text) => /^[A-Za-z0-9_-]{11}$/.test(text || '');
  if ((hosts('youtube', 'short').includes(host) && path.length === 1 && id11(path[0])) ||
      (hosts('youtube', 'page').includes(host) && ((path.length === 1 && path[0] === 'watch' && id11(query.get('v'))) ||
        (path.length === 2 && ['shorts', 'embed', 'live'].includes(path[0]) && id11(path[1]))))) {
    return named('youtube');
  }
  if ((hosts('vimeo', 'page').includes(host) && ((path.length <= 2 && digits(path[0], 12) && (path.length === 1 || /^[0-9a-f]{6,20}$/.test(path[1]))) ||
        (path.length === 3 && path[0] === 'channels' && digits(path[2], 12)))) ||
      (hosts('vimeo', 'player').includes(host) && path.length === 2 && path[0] === 'video' && digits(path[1], 12) &&
        (!query.get('h') || /^[0-9a-f]{6,20}$/.test(query.get('h'))))) {
    return named('vimeo');
  }
  if (hosts('soundcloud', 'page').includes(host) && (path.length === 2 || (path.length === 3 && path[1] === 'sets')) &&
      path.every((segment) => /^[A-Za-z0-9_-]{1,100}$/.test(segment))) {
    return named('soundcloud');
  }
  if ((hosts('datawrapper', 'chart').includes(host) && (path.length === 1 || path.length === 2) &&
        /^[A-Za-z0-9]{5,10}$/.test(path[0]) && (path.length === 1 || digits(path[1], 4))) ||
      (hosts('datawrapper', 'page').includes(host) && path.length === 2 && path[0] === '_' &&
        /^[A-Za-z0-9]{5,10}$/.test(path[1]))) {
    return named('datawrapper');
  }
  if (((hosts('flourish', 'page').includes(host) && path.length === 2) ||
       (hosts('flourish', 'chart').includes(host) && path.length === 3 && path[2] === 'embed')) &&
      ['visualisation', 'story'].includes(path[0]) && digits(path[1], 12)) {
    return named('flourish');
  }
  if (hosts('x', 'page').includes(host) && path.length === 3 && ['status', 'statuses'].includes(path[1]) &&
      /^\w{1,15}$/.test(path[0]) && digits(path[2], 20)) {
    return named('x');
  }
  if (hosts('bluesky', 'page').includes(host) && path.length === 4 && path[0] === 'profile' && path[2] === 'post' &&
      /^[A-Za-z0-9]{1,64}$/.test(path[3]) &&
      (/^did:plc:[a-z2-7]{24}$/.test(path[1]) || HOST.test(path[1].toLowerCase()))) {
    return named('bluesky');
  }
  const account = /^@(\w{1,30})(@([A-Za-z0-9.-]+))?$/.exec(path[0] || '');
  if (HOST.test(host) && !KNOWN.test(host) && path.length === 2 && account && digits(path[1], 20) &&
      (!account[3] || HOST.test(account[3].toLowerCase()))) {
    return named('mastodon');
  }
  return null;
}

// The address a paragraph of the document consists of, when it is one link showing its own
// address (as the server reads an embed line); null otherwise.
function loneAddress(paragraph, schema) {
  if (paragraph.type !== schema.nodes.paragraph || paragraph.childCount !== 1) return null;
  const text = paragraph.firstChild;
  const link = text.isText && schema.marks.link.isInSet(text.marks);
  if (!link || text.marks.length !== 1) return null;
  return link.attrs.href === text.text || link.attrs.href === 'http://' + text.text ? link.attrs.href : null;
}

function decorations(doc, schema) {
  const found = [];
  doc.forEach((node, offset) => {
    const provider = embedProvider(loneAddress(node, schema));
    if (provider) {
      found.push(Decoration.node(offset, offset + node.nodeSize, {
        class: 'writing-embed',
        'data-embed': provider,
      }));
    }
  });
  return DecorationSet.create(doc, found);
}

// A paragraph holding `address` as a link, after the block the cursor is in (or in its place,
// when that block is an empty paragraph); the cursor goes after it.
export function insertEmbed(view, address) {
  const { schema } = view.state;
  const { $from } = view.state.selection;
  const paragraph = schema.nodes.paragraph.create(null,
    schema.text(address, [schema.marks.link.create({ href: address })]));
  const block = $from.depth >= 1 ? $from.node(1) : null;
  let tr = view.state.tr;
  let at;
  if (block && block.type === schema.nodes.paragraph && block.content.size === 0) {
    at = $from.before(1);
    tr = tr.replaceWith(at, $from.after(1), paragraph);
  } else {
    at = block ? $from.after(1) : view.state.doc.content.size;
    tr = tr.insert(at, paragraph);
  }
  const after = at + paragraph.nodeSize;
  if (after >= tr.doc.content.size) tr = tr.insert(after, schema.nodes.paragraph.create());
  tr = tr.setSelection(TextSelection.create(tr.doc, after + 1)).scrollIntoView();
  view.dispatch(tr);
}

export function embedPlugin(schema) {
  return new Plugin({
    props: {
      decorations: (state) => decorations(state.doc, schema),
      // A provider's address pasted into an empty paragraph becomes an embed line.
      handlePaste(view, event) {
        const text = (event.clipboardData && event.clipboardData.getData('text/plain') || '').trim();
        const { $from, empty } = view.state.selection;
        if (!empty || $from.depth !== 1 || $from.parent.type !== schema.nodes.paragraph ||
            $from.parent.content.size !== 0 || !embedProvider(text)) {
          return false;
        }
        insertEmbed(view, text);
        return true;
      },
    },
  });
}

// The toolbar's Embed dialog: one address, checked against the providers before it is added.
// Made the first time it is opened.
export function buildEmbedDialog(getView) {
  let made = null;
  return {
    open() {
      made = made || makeEmbedDialog(getView);
      made.open();
    },
  };
}

function makeEmbedDialog(getView) {
  const dialog = document.createElement('dialog');
  dialog.className = 'writing-dialog';
  dialog.setAttribute('aria-labelledby', 'writing-embed-title');
  dialog.innerHTML =
    '<form method="dialog">' +
    '<h2 id="writing-embed-title">Embed</h2>' +
    '<p><label for="writing-embed-href">Address</label>' +
    '<input id="writing-embed-href" type="text" inputmode="url" autocomplete="off" ' +
    'placeholder="https://…" aria-describedby="writing-embed-help"></p>' +
    '<p id="writing-embed-help" class="hint">The address of a YouTube or Vimeo video, a ' +
    'SoundCloud track, a Datawrapper or Flourish chart, or a post on X, Bluesky or Mastodon. ' +
    'Readers see a player that loads when they press play, the chart, or a card linking to ' +
    'the post.</p>' +
    '<p class="writing-link-error" role="alert" hidden></p>' +
    '<p class="writing-dialog-actions"><button value="apply">Embed</button> ' +
    '<button value="cancel" class="secondary" formnovalidate>Cancel</button></p>' +
    '</form>';
  document.body.append(dialog);
  const input = dialog.querySelector('input');
  const error = dialog.querySelector('.writing-link-error');
  dialog.querySelector('form').addEventListener('submit', (event) => {
    if ((event.submitter ? event.submitter.value : 'apply') !== 'apply') return;
    input.value = input.value.trim();
    if (!embedProvider(input.value)) {
      event.preventDefault();
      error.textContent = 'This is not an address that can be embedded: use the address of ' +
        'the video, track, chart or post itself, starting with https://.';
      error.hidden = false;
      input.focus();
    }
  });
  dialog.addEventListener('close', () => {
    const view = getView();
    view.focus();
    if (dialog.returnValue === 'apply') insertEmbed(view, input.value);
  });
  return {
    open() {
      input.value = '';
      error.hidden = true;
      dialog.returnValue = '';
      dialog.showModal();
      input.focus();
    },
  };
}
