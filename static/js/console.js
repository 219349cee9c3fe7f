// Console behaviour: switches save without a page reload, the pool switcher submits on change.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  document.querySelectorAll("form[data-switch]").forEach((form) => {
    const checkbox = form.querySelector("input[type=checkbox]");
    checkbox.addEventListener("change", async () => {
      if (checkbox.hasAttribute("data-reload")) {
        form.submit();
        return;
      }

      const body = new FormData();
      body.append("enabled", checkbox.checked ? "on" : "off");
      checkbox.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: {
            Accept: "application/json",
            "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
          },
        });
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        const result = await response.json();
        checkbox.checked = result.enabled;
        showToast(result.message, "success");
      } catch (error) {
        checkbox.checked = !checkbox.checked;
        showToast("The change was not saved. Reload the page and try again.", "error");
      } finally {
        checkbox.disabled = false;
      }
    });
  });
});

function showToast(text, kind) {
  let list = document.querySelector(".messages");
  if (!list) {
    list = document.createElement("ul");
    list.className = "messages";
    document.querySelector(".console-main").prepend(list);
  }
  const item = document.createElement("li");
  item.className = "alert " + (kind === "error" ? "alert-error" : "alert-success");
  item.setAttribute("role", "status");
  item.textContent = text;
  list.replaceChildren(item);
}
