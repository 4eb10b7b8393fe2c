// "Use my location": Streamlit's component protocol (API version 1) in plain JavaScript.
// Messages to the page carry `isStreamlitMessage: true`; the page answers with
// `streamlit:render` ({args, disabled, theme}). The value sent back is JSON:
//   {lon, lat, accuracy_m, at}  or  {error: "denied" | "unavailable" | "timeout" |
//   "insecure" | "unsupported", at}
// `at` (ms since 1970, the browser's clock) makes every press a new value.
"use strict";

(function () {
  var button = document.getElementById("locate");
  var label = "";
  var busyLabel = "";
  var busy = false;
  var lastHeight = -1;

  function send(type, fields) {
    var message = { isStreamlitMessage: true, type: type };
    for (var name in fields) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) {
        message[name] = fields[name];
      }
    }
    window.parent.postMessage(message, "*");
  }

  function fitHeight() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      send("streamlit:setFrameHeight", { height: height });
    }
  }

  function showLabel() {
    button.textContent = busy ? busyLabel || label : label;
    button.setAttribute("aria-busy", busy ? "true" : "false");
    fitHeight();
  }

  function answer(value) {
    busy = false;
    button.disabled = false;
    showLabel();
    value.at = Date.now();
    send("streamlit:setComponentValue", { value: value, dataType: "json" });
  }

  var CODES = { 1: "denied", 2: "unavailable", 3: "timeout" };

  function locate() {
    if (busy) {
      return;
    }
    // Browsers give positions only to secure pages: https, or localhost / 127.0.0.1.
    if (!window.isSecureContext) {
      answer({ error: "insecure" });
      return;
    }
    if (!navigator.geolocation) {
      answer({ error: "unsupported" });
      return;
    }
    busy = true;
    button.disabled = true;
    showLabel();
    navigator.geolocation.getCurrentPosition(
      function (position) {
        answer({
          lon: position.coords.longitude,
          lat: position.coords.latitude,
          accuracy_m: position.coords.accuracy,
        });
      },
      function (error) {
        answer({ error: CODES[error.code] || "unavailable" });
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 }
    );
  }

  function render(args, disabled) {
    label = typeof args.label === "string" ? args.label : "";
    busyLabel = typeof args.busy_label === "string" ? args.busy_label : "";
    if (typeof args.lang === "string") {
      document.documentElement.lang = args.lang;
    }
    button.disabled = busy || disabled === true;
    showLabel();
  }

  button.addEventListener("click", locate);
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.parent || !data || data.type !== "streamlit:render") {
      return;
    }
    render(data.args || {}, data.disabled);
  });
  // A larger system font, or the label's language, changes the button's height: follow it.
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(fitHeight).observe(document.body);
  } else {
    window.addEventListener("resize", fitHeight);
  }
  send("streamlit:componentReady", { apiVersion: 1 });
})();
