// The CEL environment of x-kubernetes-validations (standard library plus the string extensions
// Kubernetes offers) and compiled programs, shared by every CRD the server compiles.

import { type CelInput, type CelResult, celEnv, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { RE2JS } from "@bufbuild/re2";

export type Program = (bindings: { self: CelInput; oldSelf?: CelInput }) => CelResult;

type RE2 = NonNullable<NonNullable<Parameters<typeof celEnv>[0]>["re2"]>;
type Matcher = ReturnType<RE2["compile"]>;

/** Patterns can come from objects (`self.a.matches(self.b)`), so the cache is bounded. */
const MAX_CACHED_PATTERNS = 256;

/**
 * RE2 patterns compiled once each: @bufbuild/cel compiles the pattern of `matches` on every call,
 * which costs milliseconds for the long address patterns of the project's CRDs.
 * @bufbuild/re2 is the engine @bufbuild/cel itself uses (its dependency).
 */
const compiledPatterns = new Map<string, Matcher>();
const cachingRe2: RE2 = {
  compile(pattern) {
    let matcher = compiledPatterns.get(pattern);
    if (!matcher) {
      if (compiledPatterns.size >= MAX_CACHED_PATTERNS) compiledPatterns.clear();
      matcher = RE2JS.compile(pattern);
      compiledPatterns.set(pattern, matcher);
    }
    return matcher;
  },
};

const env = celEnv({ funcs: strings, re2: cachingRe2 });

/**
 * Programs by expression: parsing a long rule takes tens of milliseconds, and the server compiles
 * a CRD on admission and again when it serves it. Programs keep no state, so sharing is safe.
 */
const compiledPrograms = new Map<string, Program>();
const MAX_CACHED_PROGRAMS = 1024;

/** Parses and plans `expression`; throws an Error describing a syntax error. */
export function compileProgram(expression: string): Program {
  let program = compiledPrograms.get(expression);
  if (!program) {
    const evaluate = plan(env, parse(expression));
    program = (bindings) => evaluate(bindings);
    if (compiledPrograms.size >= MAX_CACHED_PROGRAMS) compiledPrograms.clear();
    compiledPrograms.set(expression, program);
  }
  return program;
}
