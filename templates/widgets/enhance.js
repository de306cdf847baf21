{#- Comments here are template comments, so they are not sent with every fragment. -#}
(function (rootId, unconfirmed) {
  {#- Progressive enhancement for one widget placement. Everything below is keyed by
      rootId, the wrapper's namespaced id, so two placements on a page never touch each
      other and nothing is left in the page's global scope. Without this script every
      action is a plain POST form and "View more" a plain link; with it, both update the
      placement in place.

      How: an action form is POSTed with fetch and the host's 303 is followed to the
      portal page (p_l_url), exactly where the browser would have gone. The placement's
      new markup is taken out of that page by its wrapper id and swapped in. Only
      same-origin targets are enhanced: a cross-origin redirect cannot be read back, and
      the plain form is always right. Any failure falls back to ordinary navigation. #}
  "use strict";
  {#- Dates first: they read locally in a browser too old for the rest. So is the
      question before an action that cannot simply be undone asked by confirm(). #}
  localTimes(root());
  asksHere(root());
  {#- Once a form is posted the ordinary way (by the browser itself: to another
      origin, where the host's address is not the portal's, or in a browser too old
      for the rest; or by this script, handing over) or another page is loading, the
      page is leaving: for ten seconds, or until it comes back from the back/forward
      cache, no press sends an action, nor asks its question. A double click sent
      the action twice, and the page showed the second answer ("no longer pending")
      to what the first had done. Ten seconds, not for good: a person who stopped
      the page's loading may press again. Counted on the page's own clock, which
      no change of the computer's time (NTP, a restored machine) sets back. #}
  var clock = window.performance && performance.now ? performance : Date, leftAt = -Infinity;
  function leaving() {
    return clock.now() - leftAt < 10000;
  }
  {#- The pressed button's own method first: the selection toolbar's first button,
      which Enter on a ticked box presses, is a formmethod="dialog" that goes
      nowhere. #}
  function posts(event) {
    var b = event.submitter;
    return /^post$/i.test((b && b.getAttribute("formmethod")) || event.target.getAttribute("method"));
  }
  function posted(event) {
    var el = root(), form = event.target;
    if (event.defaultPrevented || !el || !el.contains(form) || !posts(event)) {
      return;
    }
    if (leaving()) {
      event.preventDefault();
    } else {
      leftAt = clock.now();
    }
  }
  {#- The marks of a running request go, the button pressed and a "View more"
      link included: a page whose loading is stopped stays, and presses again. #}
  function leave() {
    leftAt = clock.now();
    unmark();
  }
  function unmark() {
    var el = root();
    busy(false);
    Array.prototype.forEach.call(el ? el.querySelectorAll("[data-enhance-disabled]") : [], function (x) {
      x.removeAttribute("data-enhance-disabled");
      x.removeAttribute("aria-disabled");
    });
  }
  function back(event) {
    if (event.persisted) {
      leftAt = -Infinity;
    }
  }
  {#- SubmitEvent.submitter carries which button was pressed, and with it the bulk
      buttons' action and p_auth: a browser without it keeps the plain forms. #}
  if (!window.fetch || !window.DOMParser || !document.addEventListener ||
      !window.SubmitEvent || !("submitter" in window.SubmitEvent.prototype)) {
    asksOnClick();
    document.addEventListener("submit", posted);
    window.addEventListener("pageshow", back);
    return;
  }

  {#- The question before an action that cannot simply be undone is asked in every
      browser that runs this script. One too old for the rest (Safari before 15.4
      has no submitter) asks it on the button's click, which Enter and Space on the
      button fire too, and which comes before the form is sent: a press of Block
      there blocked at once. #}
  function asksOnClick() {
    if (!canAsk()) {
      return;
    }
    document.addEventListener("click", function (event) {
      var el = root();
      var button = event.target && event.target.closest ? event.target.closest("button[data-confirm]") : null;
      if (event.defaultPrevented || !button || !el || !el.contains(button) || nothingTicked(button) || leaving()) {
        return;
      }
      if (!confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }

  function canAsk() {
    return !!(document.addEventListener && document.documentElement.closest);
  }

  {#- Without the script, such a button sits in a disclosure (marked
      data-confirm-step) whose summary, labelled like the button, shows the question
      (marked data-question) and the button, its last element (the form holding it,
      for a single person): the host's markup asks without a script. Where the script
      asks on the button itself, the question's text is taken away and that element
      stands where the disclosure was, as one press. Done to every markup the
      placement shows: its first, an answer swapped in, rows "View more" added. #}
  function asksHere(el) {
    if (el && canAsk()) {
      Array.prototype.forEach.call(el.querySelectorAll("details[data-confirm-step]"), function (step) {
        var question = step.querySelector("[data-question]"), button = step.querySelector("button[data-confirm]");
        if (question) {
          question.parentNode.removeChild(question);
        }
        if (button) {
          button.removeAttribute("aria-describedby");
        }
        if (step.lastElementChild) {
          step.parentNode.replaceChild(step.lastElementChild, step);
        }
      });
    }
  }

  {#- The selection toolbar's buttons act on the people ticked in the list (their
      boxes named userIds): with none ticked there is nothing to ask about ("Block
      the selected people?"), and the host's answer says to select someone. Any
      other box of a form leaves its question asked. #}
  function nothingTicked(button) {
    var boxes = button.form ? Array.prototype.filter.call(button.form.elements, function (field) {
      return field.type === "checkbox" && /userIds$/.test(field.name);
    }) : [];
    return boxes.length > 0 && !boxes.some(function (box) {
      return box.checked;
    });
  }

  function root() {
    return document.getElementById(rootId);
  }

  {#- Whether the person went on to a page the portal drew without loading one
      (Liferay's single-page navigation): the placement a request began in (`el`) is
      no longer on the page, nor is a copy of it. An answer that comes then is not
      theirs to be taken back to, nor a failure a reason to load a page again. #}
  function left(el) {
    return !document.documentElement.contains(el) && !root();
  }

  {#- An action whose answer never came, or came as a server's failure, may have
      gone through: the page is loaded afresh rather than the form posted again.
      The placement then says so, where the fresh page alone left a person who
      pressed Block unsure whether it happened. `unconfirmed` is the text, in the
      fragment's language; a template of an administrator's that does not give it
      leaves the page as it was. #}
  var unsure = "widget-host-unconfirmed:" + rootId;
  {#- The page afresh is its address without the seals of outcomes an earlier
      action's redirect put there: "You are now following" must not show again just
      after the person pressed Unfollow. An outcome shows only under its seal. #}
  function reloadUnsure() {
    leave();
    var u = new URL(location.href), seals = [];
    u.searchParams.forEach(function (value, name) {
      if (/_messageAuth$/.test(name)) {
        seals.push(name);
      }
    });
    seals.forEach(function (name) {
      u.searchParams["delete"](name);
    });
    try {
      sessionStorage.setItem(unsure, JSON.stringify([Date.now(), u.pathname + u.search]));
    } catch (e) {}
    if (seals.length) {
      location.replace(u.href);
    } else {
      location.reload();
    }
  }
  {#- Said only on the page reloaded, within two minutes: a reload that showed no
      placement (the host down) must not leave it for another page, or a later one. #}
  try {
    var noted = JSON.parse(sessionStorage.getItem(unsure) || "null");
    sessionStorage.removeItem(unsure);
    if (noted && noted[1] === location.pathname + location.search && Date.now() - noted[0] < 120000) {
      tellUnsure();
    }
  } catch (e) {}
  function tellUnsure() {
    var el = root();
    if (!el || !unconfirmed) {
      return;
    }
    var note = document.createElement("div");
    note.className = "alert alert-warning";
    {#- A status, not an alert: it takes the focus at once, and is read from there. #}
    note.setAttribute("role", "status");
    note.tabIndex = -1;
    note.textContent = unconfirmed;
    el.insertBefore(note, el.firstChild);
    note.focus();
  }

  function sameOrigin(url) {
    try {
      return new URL(url, document.baseURI).origin === location.origin;
    } catch (e) {
      return false;
    }
  }

  function parsed(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function fresh(html) {
    return parsed(html).getElementById(rootId);
  }

  {#- One request at a time per placement: each answer replaces the whole widget, so
      a second one in flight would land in whatever order and leave the older state
      showing (a request answered twice, rows appended to a list no longer there). #}
  var pending = false;

  {#- An answer that never comes must not leave the placement waiting for ever: it is
      given up, as a failed connection is, 35 s after the host's own request timeout
      (65 s with the default 30), which an action may spend waiting for its place in
      the writer's queue before it commits and answers. #}
  function timed(url, options) {
    if (window.AbortController) {
      var controller = new AbortController();
      setTimeout(function () {
        controller.abort();
      }, {{ gives_up_after_ms }});
      options.signal = controller.signal;
    }
    return fetch(url, options);
  }

  {#- While one request runs the placement refuses every other press it would send,
      so each such button and "View more" link says so (aria-disabled), not only the
      one pressed, which marks itself before: a press on another one would otherwise
      seem to be taken and then vanish. The mark is taken off only where this put it. #}
  function busy(on) {
    pending = on;
    var el = root();
    if (el) {
      if (on) {
        el.setAttribute("aria-busy", "true");
      } else {
        el.removeAttribute("aria-busy");
      }
      var set = on ? "setAttribute" : "removeAttribute";
      Array.prototype.forEach.call(el.querySelectorAll(on ? "button[type=submit]:not([aria-disabled]),a[data-view-more]:not([aria-disabled])" : "[data-busy]"), function (x) {
        {#- Not a button the script leaves to the browser (a search), which works. #}
        if (on && x.form && !scripted(x.form, x)) {
          return;
        }
        x[set]("aria-disabled", "true");
        x[set]("data-busy", "");
      });
    }
  }

  {#- Moves focus to what changed, so keyboard and screen-reader users follow along:
      a field the answer refused (which reads out the outcome as its description),
      else the outcome message when there is one, else the list's first name (a
      list begun again, or a search's answer where its form posts, as over WSRP; a
      link in lists of people, plain text in My Contacts and Notifications), else
      the words of a search page that found nobody yet (read out, and the next
      View More one Tab away), else the wrapper itself, which has no name of its
      own, or a page that found nobody and has no more to show. #}
  {#- Whether the person left the focus with the widget (on what they pressed, now
      replaced, or nowhere): someone who went on elsewhere on the page during a slow
      answer (the portal's search box) keeps their place. #}
  function focusStayed() {
    var active = document.activeElement;
    var here = root();
    return !active || active === document.body || !!(here && here.contains(active));
  }

  function focusIn(el, selector) {
    if (!focusStayed()) {
      announce(el.querySelector("[role=status]"));
      return;
    }
    focusOn((selector && el.querySelector(selector)) || el.querySelector("[role=status],[role=alert]") ||
      el.querySelector("[data-list] .list-group-title") || el.querySelector("[data-list-end]") ||
      el.querySelector("p[id$=empty]") || el);
  }

  {#- Screen readers speak a status when its words change, not when it arrives with
      them (an alert they speak either way). Its words go back into it a moment after
      it is in the page, so a person who went on elsewhere still hears the outcome. #}
  function announce(status) {
    if (!status) {
      return;
    }
    var words = document.createDocumentFragment();
    while (status.firstChild) {
      words.appendChild(status.firstChild);
    }
    setTimeout(function () {
      status.appendChild(words);
    }, 100);
  }

  function focusOn(target) {
    if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  {#- Dates come written in UTC (2024-05-01 14:03 UTC), the same in every language,
      for a page without this script. With it, each of the host's <time>s (a full UTC
      instant, not a date or a duration a template of an administrator's may hold)
      reads in the reader's own time zone, named, and in the reader's locale (the
      root's data-locale: the placement's language with the reader's region, en-GB
      for English texts; else its lang); the UTC text stays as its title. Parts, not
      dateStyle and timeStyle, which older Intls ignore and print a date without its
      time. #}
  function localTimes(el) {
    {#- Any failure (no Intl, a language it does not know) leaves the UTC text. #}
    try {
      var format = new Intl.DateTimeFormat(root().dataset.locale || root().lang, {
        year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short"
      });
      Array.prototype.forEach.call(el.querySelectorAll("time[datetime]:not([title])"), function (time) {
        var stamp = time.getAttribute("datetime");
        if (/^\d{4}(-\d\d){2}T(\d\d:){2}\d\dZ$/.test(stamp)) {
          time.title = time.textContent;
          time.textContent = format.format(new Date(stamp));
        }
      });
    } catch (e) {}
  }

  {#- The placement's namespace, its parameters' prefix, and the rows a list shows
      (as `rows`, which the host takes up to 200). #}
  var ns = rootId.replace(/(contacts-center|notifications)$/, "");
  function shown(list) {
    return String(Math.min(list.children.length, 200));
  }

  {#- prepare, if given, readies the imported markup before it is shown. #}
  function swap(next, prepare, focus) {
    var current = root();
    if (!current || !next) {
      return false;
    }
    var imported = document.importNode(next, true);
    asksHere(imported);
    if (prepare) {
      prepare(imported);
    }
    {#- A refusal's alert is spoken as it arrives, and again when the focus is taken
        to it or to the field it describes; where the focus will be, it arrives as a
        status, which is heard once, from there. #}
    if (focusStayed()) {
      var alerts = imported.querySelectorAll("[role=alert]");
      for (var i = 0; i < alerts.length; i++) {
        alerts[i].setAttribute("role", "status");
      }
    }
    current.parentNode.replaceChild(imported, current);
    localTimes(imported);
    focusIn(imported, focus || "[aria-invalid=true]");
    return true;
  }

  {#- The page's other placements show what an action changed too (a request accepted
      in Notifications changes the Contacts Center's counts and list). The placement
      that acted hands the page its answer led to to the others with an event, and each
      replaces only itself, with its own markup from that page, as the plain form's page
      load would show it; focus stays where the action left it. A refused action tells
      them too: it changed nothing, but a refusal is often the news that something
      changed elsewhere (a request confirmed in another tab is no longer pending), and
      its page shows the others as they are now. A placement waiting for its own answer
      is left to that answer, and one holding typing not yet sent keeps it. #}
  var CHANGED = "widget-host:page-changed";

  function tellOthers(doc) {
    document.dispatchEvent(new CustomEvent(CHANGED, { detail: { from: rootId, page: doc } }));
  }

  {#- Typed, or ticked: people chosen for the selection toolbar are kept too. #}
  function typedIn(el) {
    return Array.prototype.some.call(el.querySelectorAll("input,textarea"), function (field) {
      return field.type === "checkbox" ? field.checked !== field.defaultChecked :
        field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  {#- Another placement acted: this one takes its markup from the page that action
      led to, unless someone is at work in it. A list extended with "View more" is
      their place in it too: the page holds only its first rows. So is a form opened
      in a disclosure (a contact's Edit), typed in or not yet: the new markup draws it
      folded, and the focus in it would fall to the top of the page. #}
  function changed(event) {
    var current = root();
    var detail = event.detail || {};
    var next = detail.from !== rootId && detail.page ? detail.page.getElementById(rootId) : null;
    if (current && next && !pending && !typedIn(current) && !current.querySelector("[data-list][data-more]") &&
        !current.querySelector("details[open] form")) {
      var held = document.activeElement;
      var imported = document.importNode(next, true);
      asksHere(imported);
      current.parentNode.replaceChild(imported, current);
      localTimes(imported);
      {#- Someone who had moved on to this placement (during the other's slow answer)
          stays on the same control in its new markup, found by its id, else by its
          markup; where it is gone (the request it answered, answered), on the
          placement's count of what it lists or its note that the list is empty, else
          the Contacts Center's summary of counts, all of which a screen reader reads
          out, else on the placement: not thrown back to the top of the page. #}
      if (current.contains(held)) {
        focusOn(Array.prototype.filter.call(imported.querySelectorAll(held.tagName), function (x) {
          return held.id ? x.id === held.id : x.outerHTML === held.outerHTML;
        })[0] || imported.querySelector("p[id$=count], p[id$=empty]") ||
          imported.querySelector("[id$=counts]") || imported);
      }
    }
  }

  {#- A refusal (an alert, where an outcome is a status) comes back with the form as
      the host drew it: empty, for a new contact. What the person typed is put back,
      so a duplicate email costs them one field and not the whole form: into the
      answer's markup once imported, before it is shown, so the refused field takes
      the focus holding what was typed, and a screen reader reads that out, not an
      empty field (set before the import, a textarea's value is lost in browsers
      whose clone keeps the markup's). #}
  function keepTyped(el, form, data) {
    var again = el && form.id ? Array.prototype.filter.call(el.getElementsByTagName("form"), function (f) {
      return f.id === form.id;
    })[0] : null;
    if (!again || !el.querySelector("[role=alert]")) {
      return;
    }
    Array.prototype.forEach.call(again.elements, function (field) {
      var typed = field.name ? data.get(field.name) : null;
      if (typeof typed === "string" && (field.tagName === "TEXTAREA" ||
          (field.tagName === "INPUT" && /^(text|email|search|tel|url)$/.test(field.type)))) {
        field.value = typed;
      }
    });
    var details = again.closest ? again.closest("details") : null;
    if (details) {
      details.open = true;
    }
  }

  {#- Where the script posts `form` itself when `submitter` is pressed; null where it
      leaves it to the browser (a GET such as a search, or a post to another origin).
      getAttribute: a control named "action" would shadow form.action. #}
  function scripted(form, submitter) {
    function at(name) {
      return (submitter && submitter.getAttribute("form" + name)) || form.getAttribute(name);
    }
    var action = new URL(at("action") || location.href, document.baseURI).href;
    return (at("method") || "get").toLowerCase() === "post" && sameOrigin(action) ? action : null;
  }

  function submitted(event) {
    var form = event.target;
    var el = root();
    if (event.defaultPrevented || !el || !form || form.tagName !== "FORM" || !el.contains(form)) {
      return;
    }
    var submitter = event.submitter || null;
    var action = scripted(form, submitter);
    var enhanced = action !== null;
    if (enhanced ? pending || leaving() : posts(event) && leaving()) {
      event.preventDefault();
      return;
    }
    {#- An action that cannot simply be undone asks first, whether this script posts
        it or the browser does; not while another is running, which refuses it. #}
    var question = submitter && submitter.getAttribute("data-confirm");
    if (question && !nothingTicked(submitter) && !confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!enhanced) {
      posted(event);
      return;
    }
    event.preventDefault();
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var body = new URLSearchParams();
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        body.append(name, value);
      }
    });
    {#- After "View more" added pages, the answer shows the list from its start
        through the rows it has now (`rows`, which the host takes in place of the
        page the form was drawn on, `cursor`): the rows above that page stay. #}
    var more = el.querySelector("[data-list][data-more]");
    if (more) {
      body["delete"](ns + "cursor");
      body.set(ns + "rows", shown(more));
    }
    {#- Marked, not disabled: a disabled button loses the focus to the page's body,
        and a keyboard or screen-reader user would start over from the top. `pending`
        already refuses a second press. #}
    if (submitter) {
      submitter.setAttribute("aria-disabled", "true");
      submitter.setAttribute("data-enhance-disabled", "");
    }
    busy(true);
    {#- Offline before it was sent: nothing will be. Read now, since offline after a
        failed fetch may have come after the action reached the host. #}
    var offline = navigator.onLine === false;
    function native() {
      leave();
      {#- A plain submission, which fires no submit event. #}
      var input = null;
      if (submitter && submitter.name) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = submitter.name;
        input.value = submitter.value;
        form.appendChild(input);
      }
      var drawn = form.getAttribute("action");
      if (submitter && submitter.hasAttribute("formaction")) {
        form.setAttribute("action", action);
      }
      HTMLFormElement.prototype.submit.call(form);
      {#- The submission took the form's fields as they were just now: the form goes
          back to how it was drawn, so that a page restored from the back/forward
          cache does not send this button's p_auth ahead of another's, which the host
          reads first and refuses as expired. #}
      if (input) {
        form.removeChild(input);
      }
      if (drawn === null) {
        form.removeAttribute("action");
      } else {
        form.setAttribute("action", drawn);
      }
    }
    timed(action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "follow",
      headers: { Accept: "text/html" }
    }).then(function (response) {
      if (left(el)) {
        return null;
      }
      var busy503 = response.status === 503 && response.headers.get("Retry-After");
      {#- The host answers every action it ran with a redirect, never a 200: a 200
          that no redirect led to is a portal's page, rendered in the action's own
          answer (as Liferay does for a portlet that does not redirect after its
          actions, over WSRP). The action ran: its page is shown like any other, and
          nothing is posted again. Where it cannot be shown, the page is loaded afresh
          (the action's address, taken again, could act again; a page that was itself
          a post's answer, the browser asks before posting it again). #}
      var inline = !response.redirected && response.status === 200;
      function elsewhere() {
        leave();
        if (inline) {
          location.reload();
        } else {
          location.assign(response.url);
        }
      }
      if (!response.redirected && !inline && (response.status < 500 || busy503)) {
        {#- The host refused before acting (expired form, bad input), or was too busy
            to take the action and did nothing (its 503 says when to retry): it
            answers every action it ran with a redirect. Posting again lets the
            browser show the answer the ordinary way (a page of its own, in the
            reader's language), whose Back button brings the form back as it was
            filled in; a busy host may take it this time. #}
        native();
        return null;
      }
      if (!response.redirected && !inline) {
        {#- A 5xx, perhaps from a proxy that gave up while the host committed: the
            action may have gone through, so it is not sent again. The page shows what
            holds now. #}
        reloadUnsure();
        return null;
      }
      if (!response.ok || !sameOrigin(response.url)) {
        leave();
        location.assign(response.url);
        return null;
      }
      return response.text().then(function (html) {
        busy(false);
        var doc = parsed(html);
        var next = doc.getElementById(rootId);
        if (!swap(next, function (imported) {
          keepTyped(imported, form, data);
          {#- Still the list "View more" extended: the answer holds all its rows,
              and the other placements' actions leave it as it is. #}
          var list = more && imported.querySelector("[data-list=\"" + more.getAttribute("data-list") + "\"]");
          if (list) {
            list.setAttribute("data-more", "");
          }
        })) {
          elsewhere();
          return;
        }
        tellOthers(doc);
      })["catch"](function () {
        {#- The answer came but could not be read or shown. The action went through, so
            it is not sent again: the page it led to is loaded the ordinary way. #}
        elsewhere();
      });
    }, function () {
      if (left(el)) {
        return;
      }
      {#- Offline, nothing was sent: the form is posted the ordinary way, and the
          browser says it is offline where Back brings the form back as filled in. #}
      if (offline) {
        native();
        return;
      }
      {#- No answer came back: the connection failed, or the redirect led somewhere
          fetch may not read. The action may have gone through, so it is not sent
          again; the page is loaded afresh instead. #}
      reloadUnsure();
    });
  }

  {#- "View more": the next page's rows are appended to the list in place, and the link
      is replaced by the next page's own link (or removed on the last page). A page that
      restarted at the first one (its list marked data-restarted: the list changed under
      the link) replaces the whole widget instead, so no row shows twice. #}
  function clicked(event) {
    var el = root();
    {#- A card opened from a list "View more" extended: its Back link goes to the
        list as it was shown, so the card is asked for with the rows shown in place
        of the page its row came with. #}
    var card = event.target && event.target.closest ? event.target.closest("[data-list][data-more] a[href]") : null;
    if (card && el && el.contains(card)) {
      var u = new URL(card.href, document.baseURI);
      if (u.searchParams.has(ns + "userId")) {
        u.searchParams["delete"](ns + "cursor");
        u.searchParams.set(ns + "rows", shown(card.closest("[data-list]")));
        card.href = u.href;
      }
      return;
    }
    var link = event.target && event.target.closest ? event.target.closest("a[data-view-more]") : null;
    if (event.defaultPrevented || !link || !el || !el.contains(link) || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || !sameOrigin(link.href)) {
      return;
    }
    event.preventDefault();
    {#- One page at a time: a second click while the first loads would append the
        same rows twice. #}
    if (pending || leaving() || link.hasAttribute("data-enhance-disabled")) {
      return;
    }
    link.setAttribute("data-enhance-disabled", "");
    link.setAttribute("aria-disabled", "true");
    var list = el.querySelector("[data-list]");
    busy(true);
    timed(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || !sameOrigin(response.url)) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        if (left(el)) {
          return;
        }
        busy(false);
        var next = fresh(html);
        var nextList = next && list ? next.querySelector("[data-list=\"" + list.getAttribute("data-list") + "\"]") : null;
        var end = !nextList && list && next.querySelector("[data-list-end]");
        {#- A search page that found nobody has no list: the rows stay, its words
            follow them, before View More (one Tab on), and take the focus, and
            its own link (if any) goes on. #}
        if (end && link.parentNode) {
          var old = el.querySelector("[data-list-end]"), bar = link.parentNode, more = next.querySelector("a[data-view-more]");
          if (old) {
            old.parentNode.removeChild(old);
          }
          end = document.importNode(end, true);
          bar.parentNode.insertBefore(end, bar);
          if (more) {
            bar.replaceChild(document.importNode(more, true), link);
          } else {
            bar.removeChild(link);
          }
          if (focusStayed()) {
            end.focus();
          }
          return;
        }
        if (!nextList || nextList.hasAttribute("data-restarted")) {
          {#- The words that say the list begins again, before any other status
              (a page owner's standing notice). #}
          if (!swap(next, null, "[role=status][id$=restarted]")) {
            leave();
            location.assign(link.href);
          }
          return;
        }
        {#- Rows found after a page that found nobody: its words are no longer so. #}
        var stale = el.querySelector("[data-list-end]");
        if (stale) {
          stale.parentNode.removeChild(stale);
        }
        var first = null;
        Array.prototype.slice.call(nextList.children).forEach(function (item) {
          {#- Someone shown already is not shown twice: renamed between the pages,
              a person moves past the cursor and comes again (their box's id, too;
              ids are namespaced, and a portal's user id holds no quote). #}
          var box = item.querySelector("input[id]");
          if (box && list.querySelector('input[id="' + box.id + '"]')) {
            return;
          }
          var added = document.importNode(item, true);
          asksHere(added);
          list.appendChild(added);
          list.setAttribute("data-more", "");
          localTimes(added);
          first = first || added;
        });
        {#- The selection toolbar comes back to the page it was drawn with, as it
            does without the script: now the page whose rows came last, where the
            reader is, not the first (its hidden fields name the page). #}
        var bar = el.querySelector("form.contacts-bulk"), nextBar = next.querySelector("form.contacts-bulk");
        if (bar && nextBar && bar.id === nextBar.id) {
          Array.prototype.forEach.call(bar.querySelectorAll("input[type=hidden]"), function (field) {
            field.parentNode.removeChild(field);
          });
          Array.prototype.forEach.call(nextBar.querySelectorAll("input[type=hidden]"), function (field) {
            bar.insertBefore(document.importNode(field, true), bar.firstChild);
          });
        }
        var nextLink = next.querySelector("a[data-view-more]");
        if (link.parentNode && nextLink) {
          link.parentNode.replaceChild(document.importNode(nextLink, true), link);
        } else if (link.parentNode) {
          link.parentNode.removeChild(link);
        }
        {#- The first new row's name: its avatar links to the same card but is hidden
            from screen readers and the tab order. #}
        if (first) {
          focusIn(first, "a[href]:not([tabindex='-1'])");
        } else {
          {#- Nobody new (all shown already): the next "View more", else the last
              name, keeps the focus the pressed link had, where it still had it. #}
          if (focusStayed()) {
            focusOn(el.querySelector("a[data-view-more]") ||
              list.querySelector("li:last-child a[href]:not([tabindex='-1'])") || el);
          }
        }
      })
      .catch(function () {
        if (!left(el)) {
          leave();
          location.assign(link.href);
        }
      });
  }

  {#- A page restored from the back/forward cache comes back as it was left, busy
      and with its pressed button marked disabled: undo both. #}
  function restored(event) {
    var el = root();
    back(event);
    if (event.persisted && el) {
      unmark();
    }
  }

  {#- A portal that navigates without loading a new page (Liferay's single-page
      navigation) runs each fragment's script again: the placement's earlier run lets
      its listeners go, so that one run answers each press, not one per visit. #}
  var BOUND = "widget-host:bound";
  function rebound(event) {
    if (event.detail === rootId) {
      document.removeEventListener(BOUND, rebound);
      document.removeEventListener(CHANGED, changed);
      document.removeEventListener("submit", submitted);
      document.removeEventListener("click", clicked);
      window.removeEventListener("pageshow", restored);
    }
  }
  document.dispatchEvent(new CustomEvent(BOUND, { detail: rootId }));
  document.addEventListener(BOUND, rebound);
  document.addEventListener(CHANGED, changed);
  document.addEventListener("submit", submitted);
  document.addEventListener("click", clicked);
  window.addEventListener("pageshow", restored);
})
