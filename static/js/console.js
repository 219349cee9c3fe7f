// Console behaviour. Every page also works without this script. With it,
// switches save without a reload and the pool switcher submits on change.
// Copy buttons copy, and the arrow keys move between the app details tabs.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  document.querySelectorAll("form[data-switch]").forEach(setUpSwitch);
  document.querySelectorAll("button[data-copy]").forEach(setUpCopyButton);
  document.querySelectorAll("[role=tablist]").forEach(setUpTabKeys);
});

function setUpSwitch(form) {
  const checkbox = form.querySelector("input[type=checkbox]");
  checkbox.addEventListener("change", async () => {
    // A switch that changes which tabs exist saves with a normal form post,
    // so the page comes back with the new tabs.
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
      const result = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new Error(result.message || "HTTP " + response.status);
      }
      checkbox.checked = result.enabled;
      showMessage(result.message, "success");
    } catch (error) {
      checkbox.checked = !checkbox.checked;
      const reason = error instanceof TypeError ? "" : " " + error.message;
      showMessage("The change was not saved." + reason + " Reload the page and try again.", "error");
    } finally {
      checkbox.disabled = false;
    }
  });
}

function setUpCopyButton(button) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch (error) {
      // Without clipboard access (an http page or a denied permission), the
      // text is selected so that the administrator can copy it by hand.
      window.getSelection().selectAllChildren(source);
      button.textContent = "Press Ctrl+C";
    }
    window.setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
}

function setUpTabKeys(tablist) {
  const tabs = Array.from(tablist.querySelectorAll("[role=tab]"));
  tablist.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) {
      return;
    }
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key in moves) {
      event.preventDefault();
      tabs[(index + moves[event.key] + tabs.length) % tabs.length].focus();
    } else if (event.key === "Home") {
      event.preventDefault();
      tabs[0].focus();
    } else if (event.key === "End") {
      event.preventDefault();
      tabs[tabs.length - 1].focus();
    }
  });
}

function showMessage(text, kind) {
  const list = document.getElementById("messages");
  const item = document.createElement("li");
  item.className = "alert " + (kind === "error" ? "alert-error" : "alert-success");
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  item.textContent = text;
  list.replaceChildren(item);
}
