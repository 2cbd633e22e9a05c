/* The book's answer boxes: an exercise answered and checked in the page, offline, no kernel.
 *
 * The data (window.COURSE_ANSWER_DATA, _static/answer-data.js) is the question bank exported at
 * build time by book/_ext/answer_export.py; the boxes are written into the pages by
 * book/_ext/answer_boxes.py. This script gives the verdict, message and hint that
 * unet_course.quiz.check prints for the same answer, in English or Korean (the page's language):
 * the graders below follow unet_course/quiz/kinds.py, functions.py and values.py step by step,
 * and tests/browser/test_answer_parity.py holds them to it for every question of the bank.
 *
 * A formula is typed as a Python expression of its parameters and evaluated by a small parser
 * (numbers, + - * / // % **, parentheses, tuples, a few functions): never by eval.
 * Progress (answered, right) is kept in this browser's localStorage only.
 */
(function () {
  "use strict";

  var DATA = window.COURSE_ANSWER_DATA;
  var STORE_KEY = "unet-course-answers-v1";

  function pageLanguage() {
    var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
    return lang.indexOf("ko") === 0 ? "ko" : "en";
  }

  // ---- Python's ways of writing values ---------------------------------------------------

  function formatG(x) {  // format(x, "g")
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    var parts = x.toExponential(5).split("e");
    var exp = parseInt(parts[1], 10);
    if (exp >= -4 && exp < 6) {
      var fixed = x.toFixed(5 - exp);
      if (fixed.indexOf(".") >= 0) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
      return fixed;
    }
    var mantissa = parts[0];
    if (mantissa.indexOf(".") >= 0) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    return mantissa + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  }

  function floatRepr(x) {  // repr(float)
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    var parts = x.toExponential().split("e");
    var exp = parseInt(parts[1], 10);
    var sign = parts[0].charAt(0) === "-" ? "-" : "";
    var digits = parts[0].replace("-", "").replace(".", "");
    if (exp >= -4 && exp < 16) {
      if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
      var whole = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits + "0".repeat(exp + 1 - digits.length);
      var frac = digits.slice(exp + 1) || "0";
      return sign + whole + "." + frac;
    }
    return sign + digits.charAt(0) + (digits.length > 1 ? "." + digits.slice(1) : "") +
      "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  }

  function strRepr(s) {  // repr(str)
    var quote = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i), code = s.charCodeAt(i);
      if (c === "\\") out += "\\\\";
      else if (c === quote) out += "\\" + c;
      else if (c === "\n") out += "\\n";
      else if (c === "\r") out += "\\r";
      else if (c === "\t") out += "\\t";
      else if (code < 32 || code === 127) out += "\\x" + code.toString(16).padStart(2, "0");
      else out += c;
    }
    return quote + out + quote;
  }

  function repr(value) {
    switch (value.t) {
      case "int": return String(value.v);
      case "float": return floatRepr(value.v);
      case "bool": return value.v ? "True" : "False";
      case "str": return strRepr(value.v);
      case "tuple":
        var items = value.v.map(repr);
        return "(" + items.join(", ") + (items.length === 1 ? "," : "") + ")";
      default: return String(value.v);
    }
  }

  function shortRepr(value) {  // values._short_repr
    var text = repr(value);
    return text.length <= 60 ? text : text.slice(0, 57) + "...";
  }

  function typeName(value) { return value.t; }

  function asReal(value) {  // values._as_real
    return value.t === "int" || value.t === "float" ? value.v : null;
  }

  function isclose(a, b, rel, abs) {  // math.isclose
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    var diff = Math.abs(b - a);
    return diff <= Math.abs(rel * b) || diff <= Math.abs(rel * a) || diff <= abs;
  }

  // ---- messages in the page's language (quiz/messages.py, quiz/korean.py) -------------------

  var VOWEL = "vowel", RIEUL = "ㄹ", CONSONANT = "consonant";
  var PARTICLES = {};
  [["은", "는", "은(는)"], ["이", "가", "이(가)"], ["을", "를", "을(를)"], ["과", "와", "과(와)"],
   ["으로", "로", "(으)로"], ["이어야", "여야", "(이)어야"]].forEach(function (forms) {
    PARTICLES[forms[0]] = PARTICLES[forms[1]] = forms;
  });
  var DIGIT_ENDS = {"0": CONSONANT, "1": RIEUL, "2": VOWEL, "3": CONSONANT, "4": VOWEL, "5": VOWEL,
                    "6": CONSONANT, "7": RIEUL, "8": RIEUL, "9": VOWEL};
  var NOT_READ = "'\"`.,;:!?\u2026) ]}";
  var OPENING = {")": "(", "]": "[", "}": "{"};

  function isHangul(c) { return c >= "\uac00" && c <= "\ud7a3"; }
  function rstrip(s) { return s.replace(/\s+$/, ""); }

  function latinWordEnd(word) {
    word = word.toLowerCase();
    var readings = (DATA && DATA.latin_readings) || {};
    if (Object.prototype.hasOwnProperty.call(readings, word)) return readings[word];
    if (word.length === 1) return "lr".indexOf(word) >= 0 ? RIEUL : "mn".indexOf(word) >= 0 ? CONSONANT : VOWEL;
    if (/(l|le)$/.test(word)) return RIEUL;
    if (/(m|n|ng|me|ne)$/.test(word)) return CONSONANT;
    if (/p$/.test(word) && "aeiouy".indexOf(word.charAt(word.length - 2)) >= 0) return CONSONANT;
    return VOWEL;
  }

  function enclosedStart(text) {
    var closing = text.charAt(text.length - 1), depth = 0;
    for (var i = text.length - 1; i >= 0; i--) {
      if (text.charAt(i) === closing) depth += 1;
      else if (text.charAt(i) === OPENING[closing]) {
        depth -= 1;
        if (depth === 0) return i;
      }
    }
    return null;
  }

  function finalSound(text) {  // korean.final_sound
    text = rstrip(text);
    while (text) {
      var last = text.charAt(text.length - 1);
      if (Object.prototype.hasOwnProperty.call(OPENING, last)) {
        var start = enclosedStart(text);
        if (start !== null) {
          var before = rstrip(text.slice(0, start));
          text = before && isHangul(before.charAt(before.length - 1)) ? before : text.slice(start + 1, -1);
          continue;
        }
      }
      if (NOT_READ.indexOf(last) >= 0) { text = rstrip(text.slice(0, -1)); continue; }
      break;
    }
    if (!text) return null;
    var end = text.charAt(text.length - 1);
    if (isHangul(end)) {
      var final = (end.charCodeAt(0) - 0xac00) % 28;
      return final === 0 ? VOWEL : final === 8 ? RIEUL : CONSONANT;
    }
    if (Object.prototype.hasOwnProperty.call(DIGIT_ENDS, end)) return DIGIT_ENDS[end];
    if (/[A-Za-z]/.test(end)) return latinWordEnd(/[A-Za-z]+$/.exec(text)[0]);
    return null;
  }

  function withParticle(text, particle) {
    var forms = PARTICLES[particle], sound = finalSound(text);
    if (sound === null) return text + forms[2];
    if (sound === RIEUL && forms[0] === "으로") return text + forms[1];
    return text + (sound === VOWEL ? forms[1] : forms[0]);
  }

  function fill(template, fields, korean) {
    return template.replace(/\{(\w+)(?::([^}]*))?\}/g, function (whole, name, spec) {
      if (!Object.prototype.hasOwnProperty.call(fields, name)) throw new Error("no field " + name + " for " + template);
      var value = String(fields[name]);
      if (spec) {
        if (korean && PARTICLES[spec]) return withParticle(value, spec);
        throw new Error("unknown format spec " + spec);
      }
      return value;
    });
  }

  function translator(lang) {  // messages._t
    return function (english, fields) {
      var korean = lang === "ko";
      var template = korean && Object.prototype.hasOwnProperty.call(DATA.messages_ko, english) ? DATA.messages_ko[english] : english;
      return fields && Object.keys(fields).length ? fill(template, fields, korean) : template;
    };
  }

  function ordinal(i, lang) {  // values._ordinal
    if (lang === "ko") return i < DATA.ordinals_ko.length ? DATA.ordinals_ko[i] : (i + 1) + "번째";
    var n = i + 1;
    var suffix = n % 100 >= 10 && n % 100 <= 20 ? "th" : ({1: "st", 2: "nd", 3: "rd"})[n % 10] || "th";
    return n + suffix;
  }

  // ---- the reader's expression: a tokenizer, a parser and Python's arithmetic -------------

  function PyError(type, message) { this.type = type; this.message = message; }
  function ReadError(message) { this.message = message; }

  function tokenize(text) {
    var tokens = [], i = 0;
    var number = /^(?:\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)/;
    while (i < text.length) {
      var rest = text.slice(i), m;
      if (/^\s/.test(rest)) { i += 1; continue; }
      if ((m = number.exec(rest))) {
        var raw = m[0].replace(/_/g, "");
        var isFloat = /[.eE]/.test(raw);
        tokens.push({k: "num", v: isFloat ? {t: "float", v: parseFloat(raw)} : {t: "int", v: parseInt(raw, 10)}, at: i});
        i += m[0].length; continue;
      }
      if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) { tokens.push({k: "name", v: m[0], at: i}); i += m[0].length; continue; }
      if ((m = /^(\*\*|\/\/|<=|>=|==|!=|[-+*\/%(),.<>])/.exec(rest))) { tokens.push({k: "op", v: m[0], at: i}); i += m[0].length; continue; }
      throw new ReadError(strRepr(rest.charAt(0)));
    }
    tokens.push({k: "end", v: "", at: text.length});
    return tokens;
  }

  function parse(text) {
    var tokens = tokenize(text), pos = 0;
    function peek() { return tokens[pos]; }
    function isOp(v) { return peek().k === "op" && peek().v === v; }
    function expect(v) {
      if (!isOp(v)) throw new ReadError(strRepr(v) + " @ " + (peek().at + 1));
      pos += 1;
    }
    function list(closing) {  // expr (, expr)* [,]
      var items = [expression()], comma = false;
      while (isOp(",")) {
        pos += 1; comma = true;
        if (peek().k === "end" || (closing && isOp(closing))) break;
        items.push(expression());
      }
      return comma ? {k: "tuple", items: items} : items[0];
    }
    var KEYWORDS = ["if", "else", "and", "or", "not", "lambda"];
    function isWord(v) { return peek().k === "name" && peek().v === v; }
    function expression() {  // a if c else b
      var node = disjunction();
      if (isWord("if")) {
        pos += 1;
        var test = disjunction();
        if (!isWord("else")) throw new ReadError("'else' @ " + (peek().at + 1));
        pos += 1;
        node = {k: "if", test: test, a: node, b: expression()};
      }
      return node;
    }
    function disjunction() {
      var node = conjunction();
      while (isWord("or")) { pos += 1; node = {k: "or", a: node, b: conjunction()}; }
      return node;
    }
    function conjunction() {
      var node = inversion();
      while (isWord("and")) { pos += 1; node = {k: "and", a: node, b: inversion()}; }
      return node;
    }
    function inversion() {
      if (isWord("not")) { pos += 1; return {k: "not", a: inversion()}; }
      return comparison();
    }
    function comparison() {
      var first = arith(), ops = [], rest = [];
      while (["<", ">", "<=", ">=", "==", "!="].some(isOp)) { ops.push(tokens[pos++].v); rest.push(arith()); }
      return ops.length ? {k: "compare", first: first, ops: ops, rest: rest} : first;
    }
    function arith() {
      var node = term();
      while (isOp("+") || isOp("-")) { var op = tokens[pos++].v; node = {k: "bin", op: op, a: node, b: term()}; }
      return node;
    }
    function term() {
      var node = factor();
      while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) { var op = tokens[pos++].v; node = {k: "bin", op: op, a: node, b: factor()}; }
      return node;
    }
    function factor() {
      if (isOp("-") || isOp("+")) { var op = tokens[pos++].v; return {k: "unary", op: op, a: factor()}; }
      return power();
    }
    function power() {
      var node = primary();
      if (isOp("**")) { pos += 1; node = {k: "bin", op: "**", a: node, b: factor()}; }
      return node;
    }
    function primary() {
      var token = peek(), node;
      if (token.k === "num") { pos += 1; node = {k: "num", v: token.v}; }
      else if (token.k === "name") {
        if (KEYWORDS.indexOf(token.v) >= 0) throw new ReadError(strRepr(token.v) + " @ " + (token.at + 1));
        pos += 1;
        var name = token.v;
        while (isOp(".")) { pos += 1; if (peek().k !== "name") throw new ReadError("'.' @ " + (peek().at + 1)); name += "." + tokens[pos++].v; }
        node = {k: "name", v: name};
      } else if (isOp("(")) {
        pos += 1; node = list(")"); expect(")");
        if (node.k !== "tuple") node = {k: "group", a: node};
      } else {
        throw new ReadError(token.k === "end" ? "…" : strRepr(String(token.v)) + " @ " + (token.at + 1));
      }
      while (isOp("(")) {  // a call
        pos += 1;
        var args = [];
        if (!isOp(")")) {
          args.push(expression());
          while (isOp(",")) { pos += 1; if (isOp(")")) break; args.push(expression()); }
        }
        expect(")");
        node = {k: "call", f: node, args: args};
      }
      return node;
    }
    var source = text.replace(/^\s*lambda[^:]*:/, "").replace(/^\s*def\s+\w+\s*\([^)]*\)\s*:\s*return\b/, "");
    if (source !== text) { tokens = tokenize(source); }
    if (peek().k === "end") throw new ReadError("…");
    var tree = list(null);
    if (peek().k !== "end") throw new ReadError(strRepr(String(peek().v)) + " @ " + (peek().at + 1));
    return tree;
  }

  var INT = "int", FLOAT = "float";
  function num(t, v) { return {t: t, v: v}; }
  function bothInt(a, b) { return a.t === INT && b.t === INT; }
  function needNumber(op, a, b) {
    if (asReal(a) === null || asReal(b) === null) {
      throw new PyError("TypeError", "unsupported operand type(s) for " + op + ": '" + a.t + "' and '" + b.t + "'");
    }
  }
  function pyMod(a, b) {
    var r = a % b;
    if (r !== 0 && (r < 0) !== (b < 0)) r += b;
    return r;
  }

  function truthy(value) {
    if (value.t === "tuple") return value.v.length > 0;
    return value.v !== 0 && value.v !== false;
  }
  function asInt(value) { return value.t === "bool" ? num(INT, value.v ? 1 : 0) : value; }

  function compare(op, a, b) {
    a = asInt(a); b = asInt(b);
    if (op !== "==" && op !== "!=") needNumber(op, a, b);
    var x = a.v, y = b.v;
    if (a.t === "tuple" || b.t === "tuple") {
      var same = repr(a) === repr(b);
      return op === "==" ? same : op === "!=" ? !same : false;
    }
    switch (op) {
      case "<": return x < y;
      case ">": return x > y;
      case "<=": return x <= y;
      case ">=": return x >= y;
      case "==": return x === y;
      default: return x !== y;
    }
  }

  function binary(op, a, b) {
    if (op === "+" && a.t === "tuple" && b.t === "tuple") return {t: "tuple", v: a.v.concat(b.v)};
    a = asInt(a); b = asInt(b);
    needNumber(op, a, b);
    var x = a.v, y = b.v, ints = bothInt(a, b);
    switch (op) {
      case "+": return num(ints ? INT : FLOAT, x + y);
      case "-": return num(ints ? INT : FLOAT, x - y);
      case "*": return num(ints ? INT : FLOAT, x * y);
      case "/":
        if (y === 0) throw new PyError("ZeroDivisionError", "division by zero");
        return num(FLOAT, x / y);
      case "//":
        if (y === 0) throw new PyError("ZeroDivisionError", ints ? "integer division or modulo by zero" : "float floor division by zero");
        return num(ints ? INT : FLOAT, Math.floor(x / y));
      case "%":
        if (y === 0) throw new PyError("ZeroDivisionError", ints ? "integer modulo by zero" : "float modulo");
        return num(ints ? INT : FLOAT, pyMod(x, y));
      case "**":
        if (x === 0 && y < 0) throw new PyError("ZeroDivisionError", "0.0 cannot be raised to a negative power");
        if (x < 0 && !Number.isInteger(y)) throw new PyError("ValueError", "a negative number to a fractional power is complex");
        var result = Math.pow(x, y);
        if (!Number.isFinite(result)) throw new PyError("OverflowError", "(34, 'Numerical result out of range')");
        return num(ints && y >= 0 ? INT : FLOAT, result);
    }
    throw new PyError("SyntaxError", op);
  }

  function realArg(name, value) {
    if (asReal(value) === null) throw new PyError("TypeError", "must be real number, not " + value.t);
    return value.v;
  }

  function roundHalfEven(x) {
    var r = Math.round(x);
    if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) r -= 1;
    return r;
  }

  var FUNCTIONS = {
    abs: function (args) { return num(args[0].t, Math.abs(realArg("abs", args[0]))); },
    min: function (args) { return pick(args, function (a, b) { return b < a; }); },
    max: function (args) { return pick(args, function (a, b) { return b > a; }); },
    round: function (args) {
      var x = realArg("round", args[0]);
      if (args.length === 1) return num(INT, roundHalfEven(x));
      var n = realArg("round", args[1]), scale = Math.pow(10, n);
      return num(args[0].t, roundHalfEven(x * scale) / scale);
    },
    int: function (args) { return num(INT, Math.trunc(realArg("int", args[0]))); },
    float: function (args) { return num(FLOAT, realArg("float", args[0])); },
    ceil: function (args) { return num(INT, Math.ceil(realArg("ceil", args[0]))); },
    floor: function (args) { return num(INT, Math.floor(realArg("floor", args[0]))); },
    sqrt: function (args) {
      var x = realArg("sqrt", args[0]);
      if (x < 0) throw new PyError("ValueError", "math domain error");
      return num(FLOAT, Math.sqrt(x));
    },
    exp: function (args) {
      var r = Math.exp(realArg("exp", args[0]));
      if (!Number.isFinite(r)) throw new PyError("OverflowError", "math range error");
      return num(FLOAT, r);
    },
    log: function (args) {
      var x = realArg("log", args[0]);
      if (x <= 0) throw new PyError("ValueError", "math domain error");
      return num(FLOAT, args.length > 1 ? Math.log(x) / Math.log(realArg("log", args[1])) : Math.log(x));
    },
    log2: function (args) {
      var x = realArg("log2", args[0]);
      if (x <= 0) throw new PyError("ValueError", "math domain error");
      return num(FLOAT, Math.log2(x));
    },
    log10: function (args) {
      var x = realArg("log10", args[0]);
      if (x <= 0) throw new PyError("ValueError", "math domain error");
      return num(FLOAT, Math.log10(x));
    },
  };
  var CONSTANTS = {pi: num(FLOAT, Math.PI), e: num(FLOAT, Math.E), True: {t: "bool", v: true}, False: {t: "bool", v: false}};

  function pick(args, better) {
    if (args.length === 1 && args[0].t === "tuple") args = args[0].v;
    if (!args.length) throw new PyError("ValueError", "arg is an empty sequence");
    var best = args[0];
    for (var i = 1; i < args.length; i++) {
      needNumber("<", best, args[i]);
      if (better(best.v, args[i].v)) best = args[i];
    }
    return best;
  }

  function lookUp(name, scope) {
    if (Object.prototype.hasOwnProperty.call(scope, name)) return {value: scope[name]};
    var bare = name.indexOf("math.") === 0 ? name.slice(5) : name;
    if (Object.prototype.hasOwnProperty.call(CONSTANTS, bare)) return {value: CONSTANTS[bare]};
    if (Object.prototype.hasOwnProperty.call(FUNCTIONS, bare)) return {fn: FUNCTIONS[bare]};
    throw new PyError("NameError", "name '" + name.split(".")[0] + "' is not defined");
  }

  function evaluate(node, scope) {
    switch (node.k) {
      case "num": return node.v;
      case "group": return evaluate(node.a, scope);
      case "tuple": return {t: "tuple", v: node.items.map(function (item) { return evaluate(item, scope); })};
      case "name":
        var found = lookUp(node.v, scope);
        if (found.fn) throw new PyError("TypeError", "a function is not a number: call it, " + node.v + "(...)");
        return found.value;
      case "if": return truthy(evaluate(node.test, scope)) ? evaluate(node.a, scope) : evaluate(node.b, scope);
      case "or":
        var left = evaluate(node.a, scope);
        return truthy(left) ? left : evaluate(node.b, scope);
      case "and":
        var first = evaluate(node.a, scope);
        return truthy(first) ? evaluate(node.b, scope) : first;
      case "not": return {t: "bool", v: !truthy(evaluate(node.a, scope))};
      case "compare":
        var x = evaluate(node.first, scope);
        for (var c = 0; c < node.ops.length; c++) {
          var y = evaluate(node.rest[c], scope);
          if (!compare(node.ops[c], x, y)) return {t: "bool", v: false};
          x = y;
        }
        return {t: "bool", v: true};
      case "unary":
        var a = asInt(evaluate(node.a, scope));
        if (asReal(a) === null) throw new PyError("TypeError", "bad operand type for unary " + node.op + ": '" + a.t + "'");
        return num(a.t, node.op === "-" ? -a.v : a.v);
      case "bin": return binary(node.op, evaluate(node.a, scope), evaluate(node.b, scope));
      case "call":
        if (node.f.k !== "name") throw new PyError("TypeError", "'" + evaluate(node.f, scope).t + "' object is not callable");
        var target = lookUp(node.f.v, scope);
        if (!target.fn) throw new PyError("TypeError", "'" + target.value.t + "' object is not callable");
        return target.fn(node.args.map(function (arg) { return evaluate(arg, scope); }));
    }
    throw new PyError("SyntaxError", node.k);
  }

  // ---- the graders (quiz/kinds.py, quiz/functions.py, quiz/values.py) ---------------------

  function gradeNumber(q, value, T) {
    var given = asReal(value);
    if (given === null) return [false, T("This question wants one number; you gave {kind} {value}.", {kind: typeName(value), value: shortRepr(value)})];
    if (Number.isNaN(given)) return [false, T("Your answer is NaN (not a number); check the computation that produced it.")];
    if (isclose(given, q.ref, q.rtol, q.atol)) return [true, ""];
    if (given > q.ref) return [false, T("Your answer {given} is too large.", {given: formatG(given)})];
    return [false, T("Your answer {given} is too small.", {given: formatG(given)})];
  }

  function choiceIndex(q, answer, T, lang) {  // Choice._index
    var shown = q.options[lang], count = q.options.en.length;
    var listing = shown.map(function (o, i) { return i + ": " + o; }).join("; ");
    if (answer.t === "bool") return T("Give the index of an option (0..{last}) or its text, not {answer}. Options: {listing}", {last: count - 1, answer: repr(answer), listing: listing});
    if (answer.t === "int") {
      if (answer.v >= 0 && answer.v < count) return answer.v;
      return T("There is no option {answer}; the options are numbered 0..{last}: {listing}", {answer: answer.v, last: count - 1, listing: listing});
    }
    if (answer.t === "str") {
      var key = answer.v.trim().toLowerCase();
      for (var i = 0; i < count; i++) {
        if ([q.options.en[i], shown[i]].some(function (o) { return o.trim().toLowerCase() === key; })) return i;
      }
      return T("{answer} is not one of the options. Give its index or its exact text: {listing}", {answer: strRepr(answer.v), listing: listing});
    }
    return T("Give the index of an option (an int) or its text; you gave {kind} {value}.", {kind: typeName(answer), value: shortRepr(answer)});
  }

  function gradeChoice(q, answer, T, lang) {
    var index = choiceIndex(q, answer, T, lang);
    if (typeof index === "string") return [false, index];
    if (index === q.answer) return [true, ""];
    return [false, T("Option {index} ({option}) is not the right one.", {index: index, option: strRepr(q.options[lang][index])})];
  }

  var TRUE_WORDS = ["true", "t", "yes", "o", "참"], FALSE_WORDS = ["false", "f", "no", "x", "거짓"];

  function gradeTrueFalse(q, answer, T, lang) {
    var value = answer;
    if (value.t === "str") {
      var key = value.v.trim().toLowerCase();
      if (TRUE_WORDS.indexOf(key) >= 0 || FALSE_WORDS.indexOf(key) >= 0) value = {t: "bool", v: TRUE_WORDS.indexOf(key) >= 0};
    }
    if (value.t !== "bool") return [false, T("Answer True or False; you gave {kind} {value}.", {kind: typeName(answer), value: shortRepr(answer)})];
    if (value.v === q.answer) return [true, q.explanation[lang]];
    return [false, T("{value} is not right.", {value: value.v ? "True" : "False"})];
  }

  function compareValues(yours, ref, rtol, atol, T, lang) {  // values._compare_values
    if (ref.t === "tuple") {
      if (yours.t !== "tuple") return T("your function returns one value ({value}); it should return {count} values (a tuple)", {value: shortRepr(yours), count: ref.v.length});
      if (yours.v.length !== ref.v.length) return T("your function returns {given} values; it should return {count}", {given: yours.v.length, count: ref.v.length});
      var verdicts = [], wrong = false;
      for (var i = 0; i < ref.v.length; i++) {
        var problem = compareValues(yours.v[i], ref.v[i], rtol, atol, T, lang);
        wrong = wrong || problem !== null;
        verdicts.push(problem === null ? T("the {ordinal} value is right", {ordinal: ordinal(i, lang)})
                                       : T("the {ordinal} value {problem}", {ordinal: ordinal(i, lang), problem: problem}));
      }
      return wrong ? verdicts.join(lang === "ko" ? ". " : "; ") : null;
    }
    var y = asReal(yours), r = asReal(ref);
    if (y === null) return T("should be a number, not {kind} {value}", {kind: typeName(yours), value: shortRepr(yours)});
    if (isclose(y, r, rtol, atol)) return null;
    if (y > r) return T("({value}) is too large", {value: formatG(y)});
    return T("({value}) is too small", {value: formatG(y)});
  }

  function gradeFormula(q, tree, T, lang) {
    for (var s = 0; s < q.samples.length; s++) {
      var sample = q.samples[s], scope = {}, yours;
      q.params.forEach(function (name, i) { scope[name] = sample.args[i]; });
      try {
        yours = evaluate(tree, scope);
      } catch (error) {
        if (!(error instanceof PyError)) throw error;
        var detail = error.message ? error.type + ": " + error.message : error.type;
        return [false, T("Your function raised {detail} on input ({args}).", {detail: detail, args: sample.describe[lang]})];
      }
      var problem = compareValues(yours, sample.ref, q.rtol, q.atol, T, lang);
      if (problem !== null) return [false, T("For {args}: {problem}.", {args: sample.describe[lang], problem: problem})];
    }
    return [true, T("Your formula agrees with the reference on all {count} samples.", {count: q.samples.length})];
  }

  /* The reader's raw answer as a value: a typed expression (number, formula) is read here, a
   * radio button gives an int or a bool. Returns {value} or {tree}, or {unreadable: message}. */
  function readAnswer(q, raw) {
    if (q.kind === "choice" || q.kind === "truefalse") {
      if (typeof raw === "boolean") return {value: {t: "bool", v: raw}};
      if (typeof raw === "number") return {value: {t: Number.isInteger(raw) ? INT : FLOAT, v: raw}};
      return {value: {t: "str", v: String(raw)}};
    }
    try {
      var tree = parse(String(raw));
      return q.kind === "formula" ? {tree: tree} : {value: evaluate(tree, {})};
    } catch (error) {
      if (error instanceof ReadError) return {unreadable: error.message};
      if (error instanceof PyError) return {unreadable: error.type + ": " + error.message};
      throw error;
    }
  }

  /* What quiz.check(qid, answer) prints for this answer, in `lang`: {correct, text, verdict,
   * message, hint}; {unreadable} when the typed text is no expression. */
  function check(qid, raw, lang) {
    lang = lang || pageLanguage();
    var q = DATA.questions[qid];
    if (!q) throw new Error("no question " + qid);
    if (q.kind === "code") throw new Error(qid + " is answered with code");
    var T = translator(lang), read = readAnswer(q, raw), result;
    if (read.unreadable !== undefined) {
      return {unreadable: fill(DATA.ui.unreadable[lang], {error: read.unreadable}, false)};
    }
    try {
      if (q.kind === "number") result = gradeNumber(q, read.value, T);
      else if (q.kind === "choice") result = gradeChoice(q, read.value, T, lang);
      else if (q.kind === "truefalse") result = gradeTrueFalse(q, read.value, T, lang);
      else result = gradeFormula(q, read.tree, T, lang);
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      result = [false, T("This answer could not be graded ({error}); check its type and shape.", {error: error.type + ": " + error.message})];
    }
    var correct = result[0], message = result[1];
    var verdict = T(correct ? DATA.verdicts.right : DATA.verdicts.wrong);
    var hint = !correct && q.hint.en ? T("Hint: {hint}", {hint: q.hint[lang]}) : "";
    var lines = ["[" + qid + "] " + verdict];
    if (message) lines.push(message);
    if (hint) lines.push(hint);
    return {correct: correct, text: lines.join("\n"), verdict: verdict, message: message, hint: hint};
  }

  // ---- progress, kept in this browser only ------------------------------------------------

  var memory = {};
  var storageWorks = (function () {
    try {
      var probe = STORE_KEY + "-probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return true;
    } catch (error) { return false; }
  })();

  function loadProgress() {
    if (!storageWorks) return memory;
    try { return JSON.parse(window.localStorage.getItem(STORE_KEY) || "{}") || {}; } catch (error) { return {}; }
  }
  function saveState(qid, state) {
    var progress = loadProgress();
    progress[qid] = state;
    if (storageWorks) {
      try { window.localStorage.setItem(STORE_KEY, JSON.stringify(progress)); } catch (error) { memory = progress; }
    } else { memory = progress; }
    document.dispatchEvent(new CustomEvent("course-answer", {detail: {qid: qid, state: state}}));
  }
  function resetProgress() {
    memory = {};
    if (storageWorks) { try { window.localStorage.removeItem(STORE_KEY); } catch (error) { /* nothing kept */ } }
    document.dispatchEvent(new CustomEvent("course-answer", {detail: {qid: null, state: null}}));
  }

  // ---- the boxes in a chapter's page ------------------------------------------------------

  function ui(key, lang, fields) { return fill(DATA.ui[key][lang], fields || {}, false); }

  function showState(item, lang) {
    var qid = item.getAttribute("data-qid"), state = loadProgress()[qid] || "none";
    var badge = item.querySelector(".answer-state");
    if (!badge) return;
    badge.textContent = ui("state_" + state, lang);
    badge.className = "answer-state answer-state-" + state;
  }

  function exerciseName(box) {
    var exercise = box.previousElementSibling;
    var caption = exercise && exercise.querySelector(".caption-number");
    return caption ? caption.textContent.trim() : "";
  }

  function showFeedback(item, result) {
    var feedback = item.querySelector(".answer-feedback");
    feedback.textContent = "";
    if (result.unreadable !== undefined) {
      var p = document.createElement("p");
      p.className = "answer-verdict answer-unreadable";
      p.textContent = result.unreadable;
      feedback.appendChild(p);
      feedback.setAttribute("data-verdict", "unreadable");
      return;
    }
    [["answer-verdict", result.verdict], ["answer-message", result.message], ["answer-hint", result.hint]].forEach(function (part) {
      if (!part[1]) return;
      var p = document.createElement("p");
      p.className = part[0];
      p.textContent = part[1];
      feedback.appendChild(p);
    });
    feedback.setAttribute("data-verdict", result.correct ? "right" : "wrong");
  }

  function submit(item, lang) {
    var qid = item.getAttribute("data-qid"), q = DATA.questions[qid], raw;
    if (q.kind === "choice" || q.kind === "truefalse") {
      var chosen = item.querySelector("input[type=radio]:checked");
      if (!chosen) { showFeedback(item, {unreadable: ui("pick_first", lang)}); return; }
      raw = q.kind === "choice" ? parseInt(chosen.value, 10) : chosen.value === "true";
    } else {
      raw = item.querySelector("input[type=text]").value;
      if (!raw.trim()) { showFeedback(item, {unreadable: ui("type_first", lang)}); return; }
    }
    var result = check(qid, raw, lang);
    showFeedback(item, result);
    if (result.unreadable === undefined) {
      saveState(qid, result.correct ? "right" : "wrong");
      showState(item, lang);
    }
  }

  function enhanceBoxes(lang) {
    document.querySelectorAll(".answer-box").forEach(function (box) {
      var name = exerciseName(box);
      if (name) box.setAttribute("aria-label", ui("answer_to", lang, {exercise: name}));
      box.querySelectorAll("form.answer-item").forEach(function (item) {
        if (!DATA.questions[item.getAttribute("data-qid")]) return;
        item.addEventListener("submit", function (event) { event.preventDefault(); submit(item, lang); });
        var button = item.querySelector("button.answer-check");
        if (button) button.disabled = false;
        showState(item, lang);
      });
    });
  }

  // ---- predict, then see: an output folded until its question is answered ---------------

  function foldOutputs(lang) {
    document.querySelectorAll("[data-reveal-after]").forEach(function (marker) {
      var qid = marker.getAttribute("data-reveal-after");
      var cell = marker.closest(".cell") || marker.parentElement;
      var output = cell && cell.querySelector(".cell_output");
      if (!output || loadProgress()[qid]) return;
      var note = document.createElement("div");
      note.className = "reveal-note";
      var text = document.createElement("p");
      var form = document.querySelector("form.answer-item[data-qid='" + qid + "']");
      var named = form ? exerciseName(form.closest(".answer-box")) : "";
      text.textContent = ui("output_folded", lang, {question: named || qid});
      var show = document.createElement("button");
      show.type = "button";
      show.className = "reveal-show";
      show.textContent = ui("show_output", lang);
      note.appendChild(text);
      note.appendChild(show);
      output.hidden = true;
      output.parentNode.insertBefore(note, output);
      function reveal() {
        output.hidden = false;
        if (note.parentNode) note.parentNode.removeChild(note);
      }
      show.addEventListener("click", reveal);
      document.addEventListener("course-answer", function (event) { if (event.detail.qid === qid) reveal(); });
    });
  }

  // ---- the progress page ------------------------------------------------------------------

  function siteRoot() {
    var script = document.querySelector("script[src*='answer-boxes.js']");
    return script ? script.src.replace(/_static\/answer-boxes\.js.*$/, "") : "";
  }

  function renderProgress(target, lang) {
    var progress = loadProgress(), root = siteRoot(), counts = {right: 0, wrong: 0, none: 0}, total = 0;
    target.textContent = "";
    var summary = document.createElement("p");
    summary.className = "progress-summary";
    summary.setAttribute("role", "status");
    target.appendChild(summary);
    if (!storageWorks) {
      var warn = document.createElement("p");
      warn.textContent = ui("no_storage", lang);
      target.appendChild(warn);
    }
    (DATA.chapters || []).forEach(function (chapter) {
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = root + chapter.page + ".html";
      link.textContent = chapter.title;
      heading.appendChild(link);
      target.appendChild(heading);
      var table = document.createElement("table");
      table.className = "table progress-table";
      var head = table.createTHead().insertRow();
      [ui("exercise", lang), ui("question", lang), ui("state", lang)].forEach(function (label) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = label;
        head.appendChild(th);
      });
      var body = table.createTBody();
      chapter.exercises.forEach(function (exercise) {
        exercise.questions.forEach(function (qid) {
          var q = DATA.questions[qid];
          var state = q && q.kind === "code" ? "code" : progress[qid] || "none";
          if (state !== "code") { counts[state] += 1; total += 1; }
          var row = body.insertRow();
          row.setAttribute("data-qid", qid);
          row.setAttribute("data-state", state);
          var cell = row.insertCell(), a = document.createElement("a");
          a.href = root + chapter.page + ".html#" + exercise.label;
          a.textContent = ui("exercise", lang) + " " + exercise.number;
          cell.appendChild(a);
          row.insertCell().textContent = qid;
          var stateCell = row.insertCell();
          stateCell.className = "answer-state answer-state-" + state;
          stateCell.textContent = ui("state_" + state, lang);
        });
      });
      target.appendChild(table);
    });
    summary.textContent = ui("summary", lang, {right: counts.right, total: total, wrong: counts.wrong, none: counts.none});
  }

  function setUpProgressPage(lang) {
    var target = document.getElementById("course-progress");
    if (!target) return;
    renderProgress(target, lang);
    var reset = document.createElement("button");
    reset.type = "button";
    reset.className = "progress-reset";
    reset.textContent = ui("reset", lang);
    var done = document.createElement("p");
    done.className = "progress-reset-done";
    done.setAttribute("role", "status");
    reset.addEventListener("click", function () {
      resetProgress();
      renderProgress(target, lang);
      done.textContent = ui("reset_done", lang);
    });
    target.parentNode.insertBefore(reset, target.nextSibling);
    reset.parentNode.insertBefore(done, reset.nextSibling);
  }

  window.CourseAnswers = {check: check, parse: parse, formatG: formatG, floatRepr: floatRepr,
                          progress: loadProgress, reset: resetProgress, storageWorks: storageWorks};

  function start() {
    if (!DATA) return;
    var lang = pageLanguage();
    enhanceBoxes(lang);
    foldOutputs(lang);
    setUpProgressPage(lang);
    document.documentElement.setAttribute("data-answer-boxes", "ready");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
