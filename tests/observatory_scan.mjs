// The MDN HTTP Observatory's own scan and grading, for one page of a local server.
//
// Its command line (`mdn-http-observatory-scan HOST`) scans only "/" on ports 80 and 443; this
// calls the same retriever, tests and grader with a port pair and a path, exactly as scan() does.
// Usage: node observatory_scan.mjs PACKAGE_DIR HOST HTTP_PORT HTTPS_PORT PATH
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, host, httpPort, httpsPort, pagePath] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(pkg, "src", file)).href);

const { retrieve } = await load("retriever/retriever.js");
const { ALL_TESTS, NUM_TESTS } = await load("constants.js");
const { getGradeForScore, getScoreModifier } = await load("grader/grader.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load("grader/charts.js");

const r = await retrieve(host, { httpPort, httpsPort, path: pagePath });
if (!r.responses.auto) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}
const results = ALL_TESTS.map((test) => test(r));
let passed = 0;
let withExtraCredit = 100;
let uncurved = 100;
const tests = {};
for (const result of results) {
  const modifier = result.result ? getScoreModifier(result.result) : 0;
  passed += result.pass ? 1 : 0;
  withExtraCredit += modifier;
  if (modifier < 0) uncurved += modifier;
  tests[result.constructor.name] = { ...result, scoreModifier: modifier };
}
const score = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved;
const final = getGradeForScore(score);
console.log(
  JSON.stringify({
    scan: {
      url: `https://${host}:${httpsPort}${pagePath}`,
      grade: final.grade,
      score: final.score,
      statusCode: r.responses.auto.status,
      testsPassed: passed,
      testsQuantity: NUM_TESTS,
      responseHeaders: r.responses.auto.headers,
    },
    tests,
  }),
);
