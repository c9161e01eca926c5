// Embeds in articles (docs/html-policy.md, "Embeds"). A video or audio embed is a link to the
// original with a play button: nothing is asked of the provider until the reader presses it.
// Then this script puts the provider's player in its place, in a sandboxed frame. Without this
// script the link simply opens the original. Charts from Datawrapper tell their page how tall
// they are; their frames are given that height.
(function () {
  'use strict';
  // The players this script may insert: the addresses markdown/embeds.cc writes, nothing else.
  var players = [
    'https://www.youtube-nocookie.com/embed/',
    'https://player.vimeo.com/video/',
    'https://w.soundcloud.com/player/'
  ];
  function allowed(src) {
    return players.some(function (prefix) { return src.indexOf(prefix) === 0; });
  }
  function play(link) {
    var src = link.getAttribute('data-embed-src') || '';
    if (!allowed(src)) return false;
    var frame = document.createElement('iframe');
    frame.src = src;
    frame.title = link.getAttribute('data-embed-title') || 'Embedded player';
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups allow-presentation');
    frame.setAttribute('allow', 'autoplay; fullscreen; picture-in-picture; encrypted-media');
    frame.setAttribute('allowfullscreen', '');
    frame.setAttribute('referrerpolicy', 'strict-origin-when-cross-origin');
    frame.className = 'embed-player';
    link.replaceWith(frame);
    frame.focus();
    return true;
  }
  document.addEventListener('click', function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;  // a new tab or window: the original, as asked
    }
    var link = event.target.closest && event.target.closest('a.embed-play[data-embed-src]');
    if (link && play(link)) event.preventDefault();
  });
  window.addEventListener('message', function (event) {
    if (event.origin !== 'https://datawrapper.dwcdn.net' || !event.data ||
        typeof event.data['datawrapper-height'] !== 'object') {
      return;
    }
    var frames = document.querySelectorAll('figure.embed-datawrapper iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== event.source) continue;
      var heights = event.data['datawrapper-height'];
      for (var chart in heights) {
        var height = Number(heights[chart]);
        if (height > 0 && height < 10000) frames[i].style.height = Math.round(height) + 'px';
      }
    }
  });
}());
