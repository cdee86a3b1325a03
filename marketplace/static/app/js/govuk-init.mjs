// Initialises GOV.UK Frontend without an inline <script>, so pages work
// under a Content-Security-Policy with script-src 'self'.
//
// Loaded as <script type="module">, which only runs in browsers GOV.UK
// Frontend supports, so adding `govuk-frontend-supported` here is accurate.
// The import is relative so it works whatever STATIC_URL is.
import { initAll } from "../../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
