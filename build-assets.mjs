// Builds static/dist from GOV.UK Frontend (npm) and the product's own Sass: no GOV.UK font or crown.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const out = "static/dist";
mkdirSync(out, { recursive: true });
const css = sass.compile("static/src/app.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "slash-div"],
});
writeFileSync(`${out}/app.css`, css.css);
cpSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`);
console.log(`built ${out}/app.css (${css.css.length} bytes) and copied GOV.UK Frontend scripts`);
