// Starts GOV.UK Frontend's components (accordions, error summary focus, service navigation).
import { initAll } from "./dist/govuk-frontend.min.js";

initAll();
