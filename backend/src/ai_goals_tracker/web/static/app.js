// The dashboard works without script; this only follows a review that is still running, so the
// learner sees the verdict without reloading by hand.
"use strict";

(function followPendingReview() {
  const verdict = document.querySelector("[data-review-state]");
  if (!verdict) {
    return;
  }
  const url = verdict.getAttribute("data-review-state");
  let delay = 1000;
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const body = await response.json();
        if (body.state !== "pending") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped connection is retried on the next tick, a little later.
    }
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
