// Passkey sign-in and registration. An ES module: no inline script, works under our CSP.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

const b64urlToBuf = (s) => {
  const pad = '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
};
const bufToB64url = (buf) =>
  btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// Older browsers lack parse*FromJSON and toJSON: convert by hand.
const creationOptions = (json) =>
  PublicKeyCredential.parseCreationOptionsFromJSON
    ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
    : {
        ...json,
        challenge: b64urlToBuf(json.challenge),
        user: { ...json.user, id: b64urlToBuf(json.user.id) },
        excludeCredentials: (json.excludeCredentials ?? []).map((c) => ({ ...c, id: b64urlToBuf(c.id) })),
      };
const requestOptions = (json) =>
  PublicKeyCredential.parseRequestOptionsFromJSON
    ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
    : {
        ...json,
        challenge: b64urlToBuf(json.challenge),
        allowCredentials: (json.allowCredentials ?? []).map((c) => ({ ...c, id: b64urlToBuf(c.id) })),
      };
const credentialJSON = (cred) => {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: bufToB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = bufToB64url(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = bufToB64url(r.authenticatorData);
    response.signature = bufToB64url(r.signature);
    if (r.userHandle) response.userHandle = bufToB64url(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: bufToB64url(cred.rawId),
    type: cred.type,
    response,
    clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
  };
};

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { server: true });
  return data;
}

function explain(panel, error) {
  const status = panel.querySelector('.status');
  if (error?.server) status.textContent = error.message;
  else if (error?.name === 'NotAllowedError' || error?.name === 'AbortError') status.textContent = panel.dataset.msgCancelled;
  else status.textContent = panel.dataset.msgFailed;
  status.classList.add('error');
}

function setupRegister(panel) {
  const button = panel.querySelector('button');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const token = panel.dataset.token;
      const options = await postJSON('/auth/register/options', { token });
      const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
      const done = await postJSON('/auth/register/verify', { token, credential: credentialJSON(cred) });
      window.location.assign(done.redirect);
    } catch (error) {
      explain(panel, error);
      button.disabled = false;
    }
  });
}

function setupLogin(panel) {
  const button = panel.querySelector('button');
  let conditional = null;

  async function signIn(mediation) {
    const controller = new AbortController();
    if (mediation === 'conditional') conditional = controller;
    const options = await postJSON('/auth/login/options', {});
    const cred = await navigator.credentials.get({ publicKey: requestOptions(options), mediation, signal: controller.signal });
    const done = await postJSON('/auth/login/verify', { credential: credentialJSON(cred) });
    // Back to the page that asked for the sign-in (the server checked it is one of ours).
    window.location.assign(panel.dataset.next || done.redirect);
  }

  button.addEventListener('click', async () => {
    conditional?.abort();
    conditional = null;
    button.disabled = true;
    try {
      await signIn('optional');
    } catch (error) {
      explain(panel, error);
      button.disabled = false;
    }
  });

  // Conditional UI: the browser offers passkeys in the autofill of the hidden field.
  if (window.PublicKeyCredential?.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
      // Cancelled or aborted autofill is normal; a refusal from the server is shown.
      if (available) signIn('conditional').catch((error) => { if (error?.server) explain(panel, error); });
    });
  }
}

if (!window.PublicKeyCredential) {
  document.querySelectorAll('#passkey-login, #passkey-register').forEach((panel) => {
    panel.querySelector('.status').textContent = panel.dataset.msgUnsupported;
    panel.querySelector('button').disabled = true;
  });
} else {
  const register = document.getElementById('passkey-register');
  if (register) setupRegister(register);
  const login = document.getElementById('passkey-login');
  if (login) setupLogin(login);
}
