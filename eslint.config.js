// @ts-check
// ESLint for the browser JavaScript in static/js (`make lint-js`, part of `make test`). No build step: what is
// linted here is what the browser loads. static/js/lecture/ holds ES modules; the other files are classic scripts.
import js from "@eslint/js";
import globals from "globals";

/** Every file in static/js starts with `// @ts-check`, so an editor checks its JSDoc types as tsc does. */
const tsCheckFirst = {
  meta: { type: "problem", docs: { description: "require `// @ts-check` as the first line" }, schema: [] },
  /** @param {import("eslint").Rule.RuleContext} context */
  create(context) {
    return {
      Program() {
        if (!context.sourceCode.text.startsWith("// @ts-check\n")) {
          context.report({ loc: { line: 1, column: 0 }, message: "The first line must be `// @ts-check`." });
        }
      },
    };
  },
};

export default [
  { ignores: ["**/node_modules/", ".venv/", "static/vendor/", "artifacts/", "build/", "instance/"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, io: "readonly" }, // io: Socket.IO's client, static/vendor/socket.io
    },
    plugins: { lectern: { rules: { "ts-check-first": tsCheckFirst } } },
    rules: {
      "lectern/ts-check-first": "error",
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-coercion": ["error", { allow: ["!!"] }],
      "no-shadow": "error",
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      "no-restricted-properties": [
        "error",
        { object: "window", property: "lectern", message: "No test hooks in production code." },
      ],
    },
  },
  {
    // Classic scripts, loaded with <script defer>: lectern.js on every page, quiz.js and import.js on theirs.
    files: ["static/js/lectern.js", "static/js/quiz.js", "static/js/import.js"],
    languageOptions: { sourceType: "script" },
    rules: { strict: ["error", "global"] },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
