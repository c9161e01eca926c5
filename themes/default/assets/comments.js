// The comment form's helpers. Without this script the form still works: replies open through
// ?replyto=ID, and comments are held for a moderator because the form carries no token.
//
// 1. Fetches a fresh form token when the page opens (the page itself may be cached for days),
//    and tells signed-in staff that they comment under their own name.
// 2. Opens replies inline: "Reply" moves the form under the comment; "Cancel reply" puts it back.
(function () {
  "use strict";
  var form = document.getElementById("respond");
  if (!form) return;
  var parent = form.querySelector('input[name="parent"]');
  var token = form.querySelector('input[name="token"]');
  var replying = form.querySelector(".comment-replying");
  var home = document.createComment("comment form");
  form.parentNode.insertBefore(home, form);

  if (token && !token.value) {
    fetch(form.getAttribute("data-token-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        token.value = answer.token || "";
        if (answer.staff) {
          var note = form.querySelector(".comment-staff-note");
          note.textContent = "You are signed in as " + answer.staff +
            "; your comment appears at once, marked as staff.";
          note.hidden = false;
          ["name", "email"].forEach(function (name) {
            var field = form.querySelector('input[name="' + name + '"]');
            field.required = false;
            field.closest("p").hidden = true;
          });
        }
      })
      .catch(function () { /* the form still works; the comment is held */ });
  }

  function replyTo(link) {
    var comment = link.closest("li.comment");
    if (!comment) return;
    parent.value = link.getAttribute("data-reply-to");
    replying.querySelector("span").textContent =
      "Replying to " + link.getAttribute("data-author") + ".";
    replying.hidden = false;
    comment.appendChild(form);
    form.querySelector("textarea").focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-reply-to]");
    if (link) {
      event.preventDefault();
      replyTo(link);
      return;
    }
    if (event.target.closest("[data-cancel-reply]")) {
      event.preventDefault();
      parent.value = "0";
      replying.hidden = true;
      home.parentNode.insertBefore(form, home.nextSibling);
      form.querySelector("textarea").focus();
    }
  });
})();
