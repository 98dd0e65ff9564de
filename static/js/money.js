// Money inputs (input[data-vnd]): show beside the field the amount as the server will read it
// ("24.000" → "24.000 đ"), or say that it cannot be read. A hint only: the server's parser
// (doanso/lib/money.py) decides, with the same rules.
(() => {
  const MAX_DIGITS = 13; // VietQR field 54
  const CURRENCY = /(?:vnđ|vnd|đồng|dong|đ|₫)\.?$/i;
  const GROUPED = { ".": /^\d{1,3}(?:\.\d{3})+$/, ",": /^\d{1,3}(?:,\d{3})+$/, " ": /^\d{1,3}(?: \d{3})+$/ };
  const DECIMAL_GROUP = { ",": ".", ".": "," }; // decimal mark → the group separator that goes with it

  function digitsOf(text) {
    if (/^\d+$/.test(text)) return text;
    for (const [sep, pattern] of Object.entries(GROUPED)) {
      if (pattern.test(text)) return text.split(sep).join("");
    }
    const m = /^(.+)([.,])(\d{1,2})$/.exec(text);
    if (!m) return null;
    const [, head, mark, fraction] = m;
    const plain = /^\d+$/.test(head);
    const grouped = GROUPED[DECIMAL_GROUP[mark]].test(head) || GROUPED[" "].test(head);
    if ((plain && head.length > 3 || grouped) && Number(fraction) === 0) return head.replace(/\D/g, "");
    return null;
  }

  function parseVnd(raw) {
    let text = raw.replace(/[\s\u00a0\u202f\u2009]+/g, " ").trim().replace(CURRENCY, "").trim();
    if (!text) return "";
    if (/^[-−(]/.test(text)) return null;
    text = text.replace(/^\+/, "").trim();
    const digits = digitsOf(text);
    if (digits === null || digits.replace(/^0+/, "").length > MAX_DIGITS) return null;
    return digits.replace(/^0+(?=\d)/, "");
  }

  function grouped(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function update(input, hint) {
    const digits = parseVnd(input.value);
    hint.classList.toggle("text-danger", digits === null);
    hint.textContent = digits === null ? input.dataset.vndInvalid || "?" : digits ? `= ${grouped(digits)} đ` : "";
  }

  document.querySelectorAll("input[data-vnd]").forEach((input) => {
    const hint = document.createElement("div");
    hint.className = "form-text vnd-hint";
    hint.id = `${input.id}-vnd-hint`;
    hint.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", hint);
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${hint.id}`.trim());
    input.addEventListener("input", () => update(input, hint));
    update(input, hint);
  });
})();
