/* The emotional-language coach in the browser. The rules come from the server
   (services/coach.py) so the page and the server agree on every phrase. */
(function (root) {
  "use strict";

  var compiled = new WeakMap();

  function compile(rules) {
    if (!compiled.has(rules)) {
      compiled.set(rules, rules.map(function (rule) {
        return { rule: rule, pattern: new RegExp(rule.pattern, "i") };
      }));
    }
    return compiled.get(rules);
  }

  /* The rules a text trips, in rule order. */
  function suggestions(text, rules) {
    return compile(rules).filter(function (entry) {
      return entry.pattern.test(text || "");
    }).map(function (entry) { return entry.rule; });
  }

  var api = { suggestions: suggestions };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.AttuneCoach = api;
  }
})(this);
