/* The emotional-language coach in the browser. The rules are static/js/coach-rules.json, which
   app.js fetches once (the URL is each coached field's data-coach-rules-url); this file reads a text
   in exactly the steps services/conversation/coach.py does (its docstring describes them), function for
   function, so the page and the server agree on every phrase (tests/browser/test_coach_parity.py).
   It only suggests: nothing here stops a form from being sent. */
(function (root) {
  "use strict";

  var TOKEN = /[a-z0-9]+(?:['-][a-z0-9]+)*|[.!?;,:()\/"'\n-]/g;
  var SENTENCE_ENDS = ".!?;\n";
  var MODES = ["speaker", "listener"];

  function isBoundary(word) { return word === "." || word === ","; }

  function has(list, word) { return list.indexOf(word) >= 0; }

  function compilePattern(text) {
    return text.split(/\s+/).filter(Boolean).map(function (part) {
      var repeat = "";
      if (part.length > 1 && (part.slice(-1) === "?" || part.slice(-1) === "*")) {
        repeat = part.slice(-1);
        part = part.slice(0, -1);
      }
      if (part === "^") return { kind: "start" };
      if (part === "$") return { kind: "end" };
      if (part === "_") return { kind: "any", repeat: repeat };
      if (part.charAt(0) === "@") return { kind: "list", name: part.slice(1), repeat: repeat };
      return { kind: "word", words: part.split("|"), repeat: repeat };
    });
  }

  /* The rules, compiled once per rules object: each list indexed by its phrases' first word,
     longest phrase first (a stable sort, as in Python), and every pattern parsed. */
  var engines = new WeakMap();

  function engineFor(data) {
    if (engines.has(data)) return engines.get(data);
    var index = {};
    Object.keys(data.lists).forEach(function (name) {
      var phrases = data.lists[name].map(function (p) { return p.split(/\s+/).filter(Boolean); });
      phrases.sort(function (a, b) { return b.length - a.length; });
      var byFirst = new Map();
      phrases.forEach(function (phrase) {
        if (!byFirst.has(phrase[0])) byFirst.set(phrase[0], []);
        byFirst.get(phrase[0]).push(phrase);
      });
      index[name] = byFirst;
    });
    var engine = { data: data, index: index, patterns: new Map(), firsts: new Map() };
    engines.set(data, engine);
    return engine;
  }

  function patternOf(engine, text) {
    if (!engine.patterns.has(text)) {
      var elements = compilePattern(text);
      engine.patterns.set(text, elements);
      engine.firsts.set(text, firstWords(elements, engine.index));
    }
    return engine.patterns.get(text);
  }

  /* The words a match of the pattern can begin with (null: any), so most places are skipped. */
  function firstWords(elements, index) {
    var first = new Set();
    for (var k = 0; k < elements.length; k++) {
      var element = elements[k];
      if (element.kind === "start" || element.kind === "end") continue;
      if (element.kind === "any") return null;
      if (element.kind === "word") element.words.forEach(function (w) { first.add(w); });
      else index[element.name].forEach(function (value, w) { first.add(w); });
      if (!element.repeat) return first;
    }
    return null;
  }

  function mayStart(engine, pattern, words, start) {
    patternOf(engine, pattern);
    var first = engine.firsts.get(pattern);
    return first === null || first.has(words[start]);
  }

  // Reading a text into words ---------------------------------------------------------------

  function expand(word, data) {
    if (Object.prototype.hasOwnProperty.call(data.contractions, word)) return data.contractions[word].split(/\s+/);
    for (var k = 0; k < data.suffixes.length; k++) {
      var suffix = data.suffixes[k][0];
      if (word.length > suffix.length && word.slice(-suffix.length) === suffix) {
        return expand(word.slice(0, -suffix.length), data).concat(data.suffixes[k][1].split(/\s+/).filter(Boolean));
      }
    }
    if (word.length > 2 && word.slice(-2) === "'s") {
      var stem = word.slice(0, -2);
      return has(data.s_is, stem) ? [stem, "is"] : [stem];
    }
    return [word];
  }

  function wordsOf(engine, text) {
    var data = engine.data;
    text = (text || "").toLowerCase();
    Object.keys(data.characters).forEach(function (char) { text = text.split(char).join(data.characters[char]); });
    var tokens = [];
    var found;
    TOKEN.lastIndex = 0;
    while ((found = TOKEN.exec(text)) !== null) tokens.push([found[0], found.index, found.index + found[0].length]);

    function isWord(k) { return /^[a-z0-9]/.test(tokens[k][0]); }
    function opens(k) {
      return k + 1 < tokens.length && tokens[k + 1][1] === tokens[k][2] && isWord(k + 1) &&
        (k === 0 || tokens[k - 1][2] !== tokens[k][1]);
    }
    function closes(k) { return k > 0 && tokens[k - 1][2] === tokens[k][1]; }

    var words = [];
    var k = 0;
    while (k < tokens.length) {
      var token = tokens[k][0];
      if (token === '"' || (token === "'" && opens(k))) {
        var end = k + 1;
        while (end < tokens.length && tokens[end][0] !== "\n") {
          if (tokens[end][0] === token && (token === '"' || closes(end))) break;
          end++;
        }
        if (end < tokens.length && tokens[end][0] === token) {
          words.push(",");
          k = end + 1;
          continue;
        }
      }
      if (isWord(k)) words = words.concat(expand(token, data));
      else if (SENTENCE_ENDS.indexOf(token) >= 0) words.push(".");
      else if (token !== '"' && token !== "'") words.push(",");
      k++;
    }
    return dropReported(engine, words);
  }

  function dropReported(engine, words) {
    var reporting = engine.data.reporting;
    var intros = reporting.intros.map(function (p) { return patternOf(engine, p); });
    var notBefore = reporting.not_before.map(function (p) { return patternOf(engine, p); });
    var out = [];
    var k = 0;
    while (k < words.length) {
      var end = -1;
      if (!isBoundary(words[k])) {
        for (var n = 0; n < intros.length; n++) {
          end = match(engine, intros[n], 0, words, k, k, words.length);
          if (end > k && end < words.length && !isBoundary(words[end])) {
            var at = end;
            var excluded = notBefore.some(function (p) { return match(engine, p, 0, words, at, at, words.length) >= 0; });
            if (!excluded) break;
          }
          end = -1;
        }
      }
      if (end < 0) {
        out.push(words[k]);
        k++;
        continue;
      }
      out = out.concat(words.slice(k, end));
      out.push(",");
      k = end;
      while (k < words.length && words[k] !== "." &&
             !(words[k] === "," && k + 1 < words.length && has(reporting.end_after_comma, words[k + 1]))) {
        k++;
      }
    }
    return out;
  }

  // Matching --------------------------------------------------------------------------------

  function steps(engine, element, words, i, hi) {
    if (i >= hi) return [];
    var word = words[i];
    if (element.kind === "any") return isBoundary(word) ? [] : [i + 1];
    if (element.kind === "word") return has(element.words, word) ? [i + 1] : [];
    var ends = [];
    (engine.index[element.name].get(word) || []).forEach(function (phrase) {
      if (i + phrase.length > hi) return;
      for (var n = 0; n < phrase.length; n++) if (words[i + n] !== phrase[n]) return;
      ends.push(i + phrase.length);
    });
    return ends;
  }

  function match(engine, elements, k, words, i, lo, hi) {
    if (k === elements.length) return i;
    var element = elements[k];
    if (element.kind === "start") {
      return (i === lo || isBoundary(words[i - 1])) ? match(engine, elements, k + 1, words, i, lo, hi) : -1;
    }
    if (element.kind === "end") {
      return (i === hi || isBoundary(words[i])) ? match(engine, elements, k + 1, words, i, lo, hi) : -1;
    }
    var ends = steps(engine, element, words, i, hi);
    for (var n = 0; n < ends.length; n++) {
      var end = match(engine, elements, element.repeat === "*" ? k : k + 1, words, ends[n], lo, hi);
      if (end >= 0) return end;
    }
    return element.repeat ? match(engine, elements, k + 1, words, i, lo, hi) : -1;
  }

  function found(engine, pattern, words, lo, hi) {
    var elements = patternOf(engine, pattern);
    for (var start = lo; start < hi; start++) {
      if (mayStart(engine, pattern, words, start) && match(engine, elements, 0, words, start, lo, hi) >= 0) return true;
    }
    return false;
  }

  function phraseAt(engine, name, words, i, hi) {
    var ends = steps(engine, { kind: "list", name: name }, words, i, hi);
    return ends.length ? ends[0] : -1;
  }

  function skip(engine, words, i, hi) {
    var end;
    while ((end = phraseAt(engine, "intensifiers", words, i, hi)) > i) i = end;
    return i;
  }

  function lookback(engine, words, start, lo) {
    var data = engine.data;
    var j = start;
    while (j > lo && !isBoundary(words[j - 1]) && start - (j - 1) <= data.lookback) {
      j--;
      if (has(data.lists.clause_words, words[j])) break;
    }
    return j;
  }

  function negated(engine, words, i, lo) {
    var lists = engine.data.lists;
    if (i - 1 >= lo && has(lists.negators, words[i - 1])) return true;
    return i - 2 >= lo && has(lists.negators, words[i - 2]) && has(lists.softeners, words[i - 1]);
  }

  function classify(engine, words, lo, hi, negatorsHurt) {
    if (lo >= hi) return "empty";
    var hurt = false;
    var warm = false;
    for (var i = lo; i < hi; i++) {
      [["hurtful", true], ["warm", false]].forEach(function (pair) {
        if (phraseAt(engine, pair[0], words, i, hi) > i) {
          if (negated(engine, words, i, lo) === pair[1]) warm = true;
          else hurt = true;
        }
      });
      if (negatorsHurt && phraseAt(engine, "negators", words, i, hi) > i) hurt = true;
    }
    return hurt ? "hurtful" : warm ? "warm" : "unknown";
  }

  function predicate(engine, config, words, end, hi, before, start) {
    var lists = engine.data.lists;
    var table = config.polarity;
    var inContext = false;
    var contexts = config.contexts || [];
    for (var c = 0; c < contexts.length; c++) {
      if (contexts[c].before.some(function (p) { return found(engine, p, words, before, start); })) {
        table = contexts[c].polarity;
        inContext = true;
        break;
      }
    }
    var i = skip(engine, words, end, hi);
    var flip = phraseAt(engine, "flips", words, i, hi);
    if (flip > i) {
      i = skip(engine, words, flip, hi);
      if (!inContext) table = config.flipped;
    }
    var lenient = false;
    if (config.lenient) {
      var softer = phraseAt(engine, config.lenient, words, i, hi);
      if (softer > i) {
        i = skip(engine, words, softer, hi);
        lenient = true;
      }
    }
    var j = i;
    while (j < hi && !isBoundary(words[j]) && !has(lists.stop_words, words[j]) && j - i < engine.data.window) j++;
    if (config.idioms && phraseAt(engine, config.idioms, words, i, j) > i) {
      var personal = false;
      for (var k = i; k < j; k++) if (has(lists.first_person, words[k])) personal = true;
      if (!personal) return false;
    }
    var kind = classify(engine, words, i, j, !!config.negators_hurt);
    if (lenient && kind !== "hurtful") return false;
    if (kind === "unknown" && config.bad_start && phraseAt(engine, config.bad_start, words, i, j) > i) kind = "hurtful";
    return table[kind];
  }

  function passes(engine, rule, words, start, end, sentences, s) {
    var lo = sentences[s][0];
    var hi = sentences[s][1];
    function anywhere(list, from, to) {
      return (list || []).some(function (p) { return found(engine, p, words, from, to); });
    }
    if (rule.requires_before && !anywhere(rule.requires_before, 0, start)) return false;
    var before = lookback(engine, words, start, lo);
    if (anywhere(rule.unless_before, before, start)) return false;
    if ((rule.unless_after || []).some(function (p) { return match(engine, patternOf(engine, p), 0, words, end, end, hi) >= 0; })) {
      return false;
    }
    var groups = rule.unless_sentence || [];
    for (var g = 0; g < groups.length; g++) {
      var group = Array.isArray(groups[g]) ? groups[g] : [groups[g]];
      if (group.every(function (p) { return found(engine, p, words, lo, hi); })) return false;
    }
    if (s > 0 && anywhere(rule.unless_prev_sentence, sentences[s - 1][0], sentences[s - 1][1])) return false;
    if (rule.match_polarity && !rule.match_polarity[classify(engine, words, start, end, false)]) return false;
    if (rule.sentence_polarity && !rule.sentence_polarity[classify(engine, words, lo, hi, false)]) return false;
    if (rule.predicate) return predicate(engine, rule.predicate, words, end, hi, before, start);
    return true;
  }

  function sentencesOf(words) {
    var spans = [];
    var lo = 0;
    var all = words.concat(["."]);
    for (var i = 0; i < all.length; i++) {
      if (all[i] === ".") {
        if (i > lo) spans.push([lo, i]);
        lo = i + 1;
      }
    }
    return spans;
  }

  function hit(engine, rule, words, sentences) {
    for (var s = 0; s < sentences.length; s++) {
      var lo = sentences[s][0];
      var hi = sentences[s][1];
      for (var start = lo; start < hi; start++) {
        if (isBoundary(words[start])) continue;
        for (var p = 0; p < rule.patterns.length; p++) {
          if (!mayStart(engine, rule.patterns[p], words, start)) continue;
          var end = match(engine, patternOf(engine, rule.patterns[p]), 0, words, start, lo, hi);
          if (end > start && passes(engine, rule, words, start, end, sentences, s)) return true;
        }
      }
    }
    return false;
  }

  // The API ---------------------------------------------------------------------------------

  /* What the coach noticed in text, in rule order: [{id, kind, hint, example}], empty when the
     wording is fine. data is the parsed rules file; mode is "speaker" (answers) or "listener"
     (reflections and what the speaker would add). */
  function suggestions(text, data, mode) {
    mode = mode || "speaker";
    if (!has(MODES, mode)) throw new Error("mode must be speaker or listener, not " + mode);
    var engine = engineFor(data);
    var words = wordsOf(engine, text);
    var sentences = sentencesOf(words);
    return data.rules.filter(function (rule) {
      return rule.mode === mode && hit(engine, rule, words, sentences);
    }).map(function (rule) {
      return { id: rule.id, kind: rule.kind, hint: rule.hint, example: data.kinds[rule.kind].example };
    });
  }

  function words(text, data) { return wordsOf(engineFor(data), text); }

  var api = { suggestions: suggestions, words: words };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.AttuneCoach = api;
  }
})(this);
