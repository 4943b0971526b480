// Starts Swagger UI on /docs from a file: the page's Content-Security-Policy allows no inline script.
"use strict";

window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
