/* Một cửa — uploads without a page reload on the draft page (progressive enhancement).
 *
 * The draft page works without JavaScript: it is one multipart form whose "Tải lên", "Xóa"
 * and "Nộp" buttons post everything to the server. Here, for a form marked
 * [data-upload-form], a chosen file is sent at once to the JSON API
 * (POST /api/v1/dossiers/{id}/files, same origin, session cookie + X-CSRF-Token header) with
 * a progress bar and the result shown inline; attached files can be removed or replaced
 * in place (DELETE /api/v1/dossiers/{id}/files/{file_id}). When the API cannot be reached
 * or answers unexpectedly, the form is submitted the ordinary way instead.
 *
 * A file is sent once: the "Tải lên" button, needed without JavaScript, is hidden here (a
 * click on it would send the chosen file a second time), and the input is disabled while
 * its file is on the way. A refused file is named in its error, which stays until another
 * file is chosen; the attached files stay listed.
 */
(function () {
  "use strict";

  var INLINE_ERRORS = [409, 413, 415, 422];

  function sizeLabel(bytes) {
    var vi = (document.documentElement.lang || "vi") === "vi";
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    }
    var text = (bytes / (1024 * 1024)).toFixed(1);
    return (vi ? text.replace(".", ",") : text) + " MB";
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function request(method, url, form, body, onProgress, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "vi");
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf || "");
    xhr.timeout = 180000;
    if (onProgress && xhr.upload) {
      xhr.upload.addEventListener("progress", onProgress);
    }
    xhr.addEventListener("load", function () {
      done(xhr.status, parseJson(xhr.responseText));
    });
    ["error", "timeout", "abort"].forEach(function (name) {
      xhr.addEventListener(name, function () {
        done(0, null);
      });
    });
    xhr.send(body);
  }

  /* The ordinary submission: the server attaches/removes the file and re-renders the page. */
  function fallback(form, submitter) {
    submitter.dataset.native = "1";
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(submitter);
    } else {
      submitter.click();
    }
  }

  function Block(form, element) {
    this.form = form;
    this.el = element;
    this.code = element.dataset.component;
    this.input = element.querySelector("input[type=file]");
    this.button = element.querySelector("[data-upload-button]");
    this.list = element.querySelector("[data-file-list]");
    this.empty = element.querySelector("[data-no-files]");
    this.progress = element.querySelector("progress");
    this.status = element.querySelector("[data-upload-status]");
    this.hint = element.querySelector("#c-" + this.code + "-hint");
  }

  /* "Tệp “x.exe”: Định dạng tệp không được chấp nhận…" (the wording comes from the page). */
  Block.prototype.fileMessage = function (name, message) {
    var pattern = this.form.dataset.msgFile || "%(name)s: %(message)s";
    return pattern.replace(/%\((name|message)\)s/g, function (_match, key) {
      return key === "name" ? name : message;
    });
  };

  Block.prototype.errorId = function () {
    return "f-file-" + this.code + "-error";
  };

  Block.prototype.clearError = function () {
    var old = document.getElementById(this.errorId());
    if (old) {
      old.remove();
    }
    this.el.classList.remove("has-error");
    this.input.removeAttribute("aria-invalid");
    this.input.setAttribute("aria-describedby", this.hint ? this.hint.id : "");
  };

  Block.prototype.showError = function (message) {
    this.clearError();
    var p = document.createElement("p");
    p.className = "error-text";
    p.id = this.errorId();
    p.setAttribute("role", "alert");
    p.textContent = message;
    this.input.insertAdjacentElement("afterend", p);
    this.el.classList.add("has-error");
    this.input.setAttribute("aria-invalid", "true");
    this.input.setAttribute(
      "aria-describedby",
      ((this.hint ? this.hint.id + " " : "") + p.id).trim()
    );
    this.status.textContent = "";
    this.progress.hidden = true;
  };

  Block.prototype.refreshEmpty = function () {
    if (this.empty) {
      this.empty.hidden = this.list.children.length > 0;
    }
  };

  Block.prototype.addItem = function (file) {
    var template = document.getElementById("file-item-template");
    var item = template.content.firstElementChild.cloneNode(true);
    var page = this.form.dataset.page;
    var api = this.form.dataset.api;
    item.dataset.fileId = String(file.id);
    var link = item.querySelector("a");
    link.href = page + "/tep/" + file.id;
    link.textContent = file.filename;
    item.querySelector(".file-size").textContent = "(" + sizeLabel(file.size) + ")";
    var remove = item.querySelector("[data-remove-url]");
    remove.setAttribute("formaction", page + "/tep/" + file.id + "/xoa");
    remove.dataset.removeUrl = api + "/files/" + file.id;
    item.querySelector("[data-file-label]").textContent = " " + file.filename;
    this.list.appendChild(item);
    this.addReplaceButton(item);
    this.refreshEmpty();
    return item;
  };

  Block.prototype.addReplaceButton = function (item) {
    var remove = item.querySelector("[data-remove-url]");
    if (!remove || item.querySelector("[data-replace]")) {
      return;
    }
    var name = item.querySelector("a").textContent;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary button-small";
    button.dataset.replace = "1";
    button.textContent = this.form.dataset.labelReplace || "Thay tệp";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + name;
    button.appendChild(hidden);
    remove.insertAdjacentElement("beforebegin", button);
  };

  /* While a file is on the way its input takes no other (a second "change" would send a
   * second copy); focus comes back to it afterwards. */
  Block.prototype.setBusy = function (busy) {
    this.busy = busy;
    if (busy) {
      this.hadFocus = document.activeElement === this.input;
      this.el.setAttribute("aria-busy", "true");
      this.input.disabled = true;
      this.button.disabled = true;
      return;
    }
    this.el.removeAttribute("aria-busy");
    this.input.disabled = false;
    this.button.disabled = false;
    if (this.hadFocus) {
      this.input.focus();
    }
  };

  Block.prototype.upload = function (file, replacing) {
    var self = this;
    var data = this.form.dataset;
    if (this.busy) {
      return;
    }
    this.clearError();
    var max = parseInt(this.el.dataset.maxBytes || "0", 10);
    if (file.size === 0 || (max && file.size > max)) {
      this.input.value = "";
      this.showError(
        this.fileMessage(
          file.name,
          file.size === 0 ? data.msgEmpty : this.el.getAttribute("data-msg-413")
        )
      );
      return;
    }
    var body = new FormData();
    body.append("component", this.code);
    body.append("file", file, file.name);
    this.progress.value = 0;
    this.progress.hidden = false;
    this.status.textContent = data.msgUploading + ": " + file.name + "…";
    this.setBusy(true);
    request(
      "POST",
      data.api + "/files",
      this.form,
      body,
      function (event) {
        if (event.lengthComputable) {
          self.progress.value = Math.round((event.loaded / event.total) * 100);
        }
      },
      function (status, json) {
        self.setBusy(false);
        if (status === 201 && json && json.id) {
          self.progress.value = 100;
          self.input.value = "";
          self.addItem(json);
          if (replacing) {
            self.remove(replacing, true);
            self.status.textContent = data.msgReplaced + ": " + json.filename;
          } else {
            self.status.textContent = data.msgUploaded + ": " + json.filename;
          }
          return;
        }
        self.progress.hidden = true;
        if (INLINE_ERRORS.indexOf(status) >= 0 && json && json.detail) {
          // The refused file is not kept in the input (a later "Nộp" must not send it again):
          // the message names it instead.
          self.input.value = "";
          self.showError(
            self.fileMessage(file.name, self.el.getAttribute("data-msg-" + status) || json.detail)
          );
          return;
        }
        self.status.textContent = "";
        if (replacing && self.input.files.length === 0) {
          try {
            var transfer = new DataTransfer();
            transfer.items.add(file);
            self.input.files = transfer.files;
          } catch (e) {
            return;
          }
        }
        fallback(self.form, self.button);
      }
    );
  };

  Block.prototype.remove = function (item, quiet) {
    var self = this;
    var button = item.querySelector("[data-remove-url]");
    var name = item.querySelector("a").textContent;
    request("DELETE", button.dataset.removeUrl, this.form, null, null, function (status) {
      if (status === 204 || status === 404) {
        item.remove();
        self.refreshEmpty();
        if (!quiet) {
          self.status.textContent = self.form.dataset.msgRemoved + ": " + name;
          self.input.focus();
        }
        return;
      }
      if (!quiet) {
        fallback(self.form, button);
      }
    });
  };

  Block.prototype.replace = function (item) {
    var self = this;
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = this.input.accept;
    picker.hidden = true;
    picker.addEventListener("change", function () {
      if (picker.files.length) {
        self.upload(picker.files[0], item);
      }
      picker.remove();
    });
    this.el.appendChild(picker);
    picker.click();
  };

  Block.prototype.enhance = function () {
    var self = this;
    if (!this.input || !this.button || !this.list) {
      return;
    }
    // The file goes as soon as it is chosen: the button would only send it again. It stays
    // in the page as the submitter of the ordinary form when the API cannot be used.
    this.button.hidden = true;
    this.input.addEventListener("change", function () {
      if (self.input.files.length) {
        self.upload(self.input.files[0], null);
      }
    });
    this.button.addEventListener("click", function (event) {
      if (self.button.dataset.native) {
        return;
      }
      event.preventDefault();
      if (self.busy) {
        return;
      }
      if (self.input.files.length) {
        self.upload(self.input.files[0], null);
      } else if (!document.getElementById(self.errorId())) {
        // An error already shown (a refused file) is kept: it says more than this one.
        self.showError(self.form.dataset.msgChoose);
        self.input.focus();
      } else {
        self.input.focus();
      }
    });
    this.list.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target || target.dataset.native) {
        return;
      }
      var item = target.closest("li");
      if (target.dataset.replace) {
        event.preventDefault();
        self.replace(item);
      } else if (target.dataset.removeUrl) {
        event.preventDefault();
        self.remove(item, false);
      }
    });
    Array.prototype.forEach.call(this.list.children, function (item) {
      self.addReplaceButton(item);
    });
  };

  function init() {
    var forms = document.querySelectorAll("form[data-upload-form]");
    if (!forms.length || !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    Array.prototype.forEach.call(forms, function (form) {
      form.classList.add("js-uploads");
      Array.prototype.forEach.call(form.querySelectorAll("[data-upload]"), function (element) {
        new Block(form, element).enhance();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
