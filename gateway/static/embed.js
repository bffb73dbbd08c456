// Embeds the chat widget in a company's site:
//   <script src="https://gateway.example/static/embed.js" data-company="tianfu"></script>
// data-company (optional) binds the conversations to that company's promises (GET /api/widget/companies).
// Adds a floating button (bottom right) that opens the widget page in an iframe panel; on phones the panel
// fills the screen. The widget runs on the gateway's origin inside the iframe, so its token and requests
// never touch the host page. Everything here is prefixed "ua-chat-" to stay clear of the host's CSS and ids.
'use strict';

(() => {
  if (window.uaChatEmbedded) return;       // the snippet was included twice
  window.uaChatEmbedded = true;

  // The gateway is wherever this script was loaded from.
  const script = document.currentScript;
  const origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const company = script && script.dataset.company ? script.dataset.company : '';
  const widgetUrl = company ? `${origin}/?company=${encodeURIComponent(company)}` : `${origin}/`;

  const css = `
#ua-chat-button{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:6px;
  padding:0 18px;height:52px;border:0;border-radius:26px;background:#1565c0;color:#fff;cursor:pointer;
  font:15px/1 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)}
#ua-chat-button:hover{background:#0d47a1}
#ua-chat-button:focus-visible{outline:3px solid #90caf9;outline-offset:2px}
#ua-chat-button svg{width:22px;height:22px;fill:currentColor}
#ua-chat-panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:380px;height:600px;
  max-height:calc(100vh - 104px);display:flex;flex-direction:column;background:#fff;border-radius:14px;
  overflow:hidden;box-shadow:0 8px 32px rgba(0,0,0,.3)}
#ua-chat-panel[hidden]{display:none}
#ua-chat-bar{display:flex;align-items:center;justify-content:space-between;padding:0 8px 0 16px;height:46px;
  background:#1565c0;color:#fff;font:600 16px/1 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif}
#ua-chat-close{width:36px;height:36px;border:0;border-radius:8px;background:transparent;color:#fff;font-size:24px;
  line-height:1;cursor:pointer}
#ua-chat-close:hover,#ua-chat-close:focus-visible{background:rgba(255,255,255,.2);outline:none}
#ua-chat-frame{flex:1;width:100%;border:0}
@media (max-width:600px){
  #ua-chat-panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0}
  #ua-chat-button{right:14px;bottom:14px}
}`;

  function build() {
    const style = document.createElement('style');
    style.textContent = css;
    document.head.append(style);

    const button = document.createElement('button');
    button.id = 'ua-chat-button';
    button.type = 'button';
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', 'ua-chat-panel');
    // Static markup only (a speech-bubble icon); no outside text goes through innerHTML.
    button.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
    button.append('在线客服');

    const panel = document.createElement('div');
    panel.id = 'ua-chat-panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', '在线客服');
    panel.hidden = true;

    const bar = document.createElement('div');
    bar.id = 'ua-chat-bar';
    const title = document.createElement('span');
    title.textContent = '在线客服';
    const close = document.createElement('button');
    close.id = 'ua-chat-close';
    close.type = 'button';
    close.setAttribute('aria-label', '关闭客服窗口');
    close.textContent = '×';
    bar.append(title, close);
    panel.append(bar);

    let frame = null;
    function open() {
      // The iframe is created on first open only, so a page view alone never starts a chat session.
      if (!frame) {
        frame = document.createElement('iframe');
        frame.id = 'ua-chat-frame';
        frame.title = '在线客服';
        frame.src = widgetUrl;
        panel.append(frame);
      }
      panel.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      close.focus();
    }
    function hide() {
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }

    button.addEventListener('click', () => (panel.hidden ? open() : hide()));
    close.addEventListener('click', hide);
    panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') hide(); });

    document.body.append(panel, button);
  }

  if (document.body) build();
  else document.addEventListener('DOMContentLoaded', build);
})();
