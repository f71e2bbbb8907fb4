// Drives Debian's chromium headless through console.fcgi, as an operator
// would: tests/integration/t5010-console.sh starts the servers and sends
// the deliveries first.  Prints "ok - ..." per check and exits 1 on the
// first failure.  A screenshot of each page goes to OUTDIR.
//
// usage: node console.mjs URL USER PASSWORD OUTDIR
import puppeteer from "puppeteer-core";

const [url, user, password, outdir] = process.argv.slice(2);
let failed = false;

function check(cond, msg, detail) {
  if (cond) {
    console.log(`ok - ${msg}`);
    return;
  }
  console.log(`FAIL - ${msg}${detail ? `\n#   ${detail}` : ""}`);
  failed = true;
  throw new Error(msg);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const cspErrors = [];
  page.on("console", (m) => {
    if (/Content Security Policy/.test(m.text())) cspErrors.push(m.text());
  });
  page.on("dialog", (d) => d.accept());
  await page.authenticate({ username: user, password });
  const shot = (name) => page.screenshot({ path: `${outdir}/${name}.png`,
    fullPage: true });
  const cells = (sel) => page.$$eval(sel, (l) => l.map((e) => e.textContent));

  // The list shows what was just sent, newest first.
  let r = await page.goto(url, { waitUntil: "networkidle0" });
  check(r.status() === 200, "list: 200 with credentials", r.status());
  const ids = await cells("table.deliveries td.id");
  for (const id of ["g-1", "g-2", "xss-1"])
    check(ids.includes(id), `list: shows ${id}`, ids.join(" "));
  const csp = r.headers()["content-security-policy"] || "";
  check(/default-src 'none'/.test(csp) && /script-src 'self'/.test(csp),
    "list: a strict Content-Security-Policy", csp);
  await shot("list");

  // Filters: by verdict, by endpoint, by text in the id.
  await page.select("select[name=verdict]", "rejected");
  await page.waitForNavigation({ waitUntil: "networkidle0" });
  let v = await cells("table.deliveries td.verdict");
  check(v.length >= 1 && v.every((x) => x === "rejected"),
    "filter verdict=rejected: only rejections", v.join(" "));
  await shot("list-rejected");
  await page.goto(`${url}?p=list&endpoint=stripe`,
    { waitUntil: "networkidle0" });
  v = await cells("table.deliveries td:nth-child(2)");
  check(v.length >= 1 && v.every((x) => x === "stripe"),
    "filter endpoint=stripe: only stripe", v.join(" "));
  await page.goto(`${url}?p=list&q=g-2`, { waitUntil: "networkidle0" });
  v = await cells("table.deliveries td.id");
  check(v.length === 1 && v[0] === "g-2", "filter id contains g-2",
    v.join(" "));
  await page.goto(`${url}?p=list&since=15m&event=push`,
    { waitUntil: "networkidle0" });
  v = await cells("table.deliveries td:nth-child(5)");
  check(v.length >= 3 && v.every((x) => x === "push"),
    "filter event=push, last 15 minutes", v.join(" "));

  // The detail of a rejection: its reason and webhookctl explain's report.
  await page.goto(`${url}?p=list&verdict=rejected`,
    { waitUntil: "networkidle0" });
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("table.deliveries td.id a")]);
  let text = await page.$eval("main", (m) => m.innerText);
  check(/signature mismatch/.test(text), "detail: the rejection's reason",
    text.slice(0, 300));
  check(/webhookctl explain/.test(text) && /secret/i.test(text),
    "detail: the explanation of webhookctl explain", text.slice(0, 600));
  check(!/It's a Secret to Everybody/.test(await page.content()),
    "detail: no secret in the page");
  await shot("detail-rejected");

  // A body carrying markup is shown as text and never runs.
  await page.goto(`${url}?p=list&q=xss-1`, { waitUntil: "networkidle0" });
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("table.deliveries td.id a")]);
  const body = await page.$eval("pre.body", (p) => p.textContent);
  check(body.includes("<script>window.__xss=1</script>"),
    "xss: the body is shown as text", body);
  check(await page.evaluate(() => window.__xss === undefined),
    "xss: the payload did not run");
  check(await page.$$eval("script", (l) => l.length) === 1 &&
    await page.$$eval("main img", (l) => l.length) === 0,
    "xss: no element came from the payload");
  check(/"x": "<script>/.test(body), "detail: JSON body pretty-printed",
    body);
  await shot("detail-xss");

  // The queue: a dead delivery, retried from the page.
  await page.goto(`${url}?p=queue`, { waitUntil: "networkidle0" });
  text = await page.$eval("main", (m) => m.innerText);
  check(/stripe\s+dead\s+1/.test(text), "queue: stripe has a dead delivery",
    text.slice(0, 400));
  await shot("queue");
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("table.dead button[value=retry]")]);
  text = await page.$eval("main", (m) => m.innerText);
  check(/retry of .*: requeued/.test(text), "queue: retry requeues it", text);
  await shot("retry-done");

  // The worker's attempts on the dead delivery, in its detail.
  await page.goto(`${url}?p=list&endpoint=stripe&verdict=accepted`,
    { waitUntil: "networkidle0" });
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("table.deliveries td.id a")]);
  const att = await cells("table.attempts td");
  check(att.includes("dead") && att.includes("1"),
    "detail: the worker's attempt, dead with exit 1", att.join(" | "));
  await shot("detail-attempts");

  // Replay: the logged bytes again, which the receiver calls a duplicate.
  await page.goto(`${url}?p=list&q=g-1`, { waitUntil: "networkidle0" });
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("table.deliveries td.id a")]);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("button[value=replay]")]);
  text = await page.$eval("main", (m) => m.innerText);
  check(/replay of g-1: replayed/.test(text) && /duplicate/.test(text),
    "replay: sent again, answered duplicate", text.slice(0, 400));

  await page.goto(`${url}?p=charts`, { waitUntil: "networkidle0" });
  const bars = await page.$$eval("svg.chart rect", (l) => l.length);
  check(bars >= 2, "charts: bars for the deliveries sent", bars);
  await shot("charts");
  check(cspErrors.length === 0, "no Content-Security-Policy violation",
    cspErrors.join(" | "));
} catch (e) {
  if (!failed) console.log(`FAIL - ${e.message}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
