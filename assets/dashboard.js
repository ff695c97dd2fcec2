// Clientside callbacks of the dashboard (registered by name in dashboard/callbacks.py).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    metrics: {
        // The upload's size is checked in the browser, so a file over the limit is never sent.
        checkUpload: function (contents, filename, limit) {
            const skip = window.dash_clientside.no_update;
            if (!contents) { return [skip, skip]; }
            const data = contents.slice(contents.indexOf(',') + 1);
            const bytes = Math.floor(data.length * 3 / 4);
            if (bytes > limit) {
                const size = (n) => n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.ceil(n / 1024) + ' KB';
                return [null, '\u201c' + filename + '\u201d is ' + size(bytes) + ', over the upload limit of ' +
                        size(limit) + '. Import it with python -m metrics import instead.'];
            }
            return [{contents: contents, filename: filename}, ''];
        },
        // The theme switch sets Bootstrap's colour mode and tells the server-side callbacks.
        applyTheme: function (dark) {
            const theme = dark ? 'dark' : 'light';
            document.documentElement.setAttribute('data-bs-theme', theme);
            return theme;
        }
    }
});
