// An independent Matrix client for the integration tests: matrix-js-sdk with its Rust
// crypto (the stack of Element Web), driven by JSON lines on stdin, answering on stdout.
//
// Protocol (documented in full in tests/integration/jsclient.py): one request per line,
// {"id": N, "cmd": "...", ...args}; one answer per request, {"id": N, "ok": true,
// "result": ...} or {"id": N, "ok": false, "error": "..."}. Everything the SDK logs goes
// to stderr, never stdout.

import { createRequire } from "node:module";
import readline from "node:readline";

// The SDK logs through console.*: keep stdout for the protocol.
for (const name of ["log", "info", "debug", "warn", "error", "trace"]) {
    console[name] = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
}
const require = createRequire(import.meta.url);
// The SDK may look for IndexedDB even with the in-memory crypto store.
await import("fake-indexeddb/auto");
const sdk = await import("matrix-js-sdk");
const cryptoApi = await import("matrix-js-sdk/lib/crypto-api/index.js");
const { logger } = await import("matrix-js-sdk/lib/logger.js");
logger.setLevel(process.env.RECBOT_JS_LOG_LEVEL || "warn");

const MAX_EVENTS = 5000; // events remembered for wait_event
let client = null;
let password = null;
let secretStorageKey = null; // [keyId, Uint8Array] once known
const events = new Map(); // event_id -> MatrixEvent, insertion order
const waiters = new Set(); // {match, resolve}

function send(obj) {
    process.stdout.write(JSON.stringify(obj) + "\n");
}

function need() {
    if (!client) throw new Error("not logged in: send login first");
    return client;
}

function shieldName(value, enumObj) {
    if (value === null || value === undefined) return null;
    return Object.keys(enumObj).find((k) => enumObj[k] === value) ?? String(value);
}

async function describe(ev) {
    const crypto = client.getCrypto();
    let encryption = null;
    if (ev.isEncrypted() && !ev.isDecryptionFailure() && crypto) {
        const info = await crypto.getEncryptionInfoForEvent(ev);
        if (info) {
            encryption = {
                shield: shieldName(info.shieldColour, cryptoApi.EventShieldColour),
                reason: shieldName(info.shieldReason, cryptoApi.EventShieldReason),
            };
        }
    }
    const relation = ev.getRelation() ?? null;
    const content = ev.getContent();
    return {
        event_id: ev.getId(),
        room_id: ev.getRoomId(),
        sender: ev.getSender(),
        type: ev.getType(),
        content,
        relation,
        in_reply_to: content?.["m.relates_to"]?.["m.in_reply_to"]?.event_id ?? null,
        redacts: ev.event.redacts ?? content?.redacts ?? null,
        origin_server_ts: ev.getTs(),
        encrypted: ev.isEncrypted(),
        decryption_failure: ev.isDecryptionFailure() ? String(ev.decryptionFailureReason) : null,
        encryption,
    };
}

// A predicate: every given field must equal the event's (body_contains: a substring of
// content.body; rel_type / relates_to: the m.relates_to relation; not_sender: any other sender).
function matches(p, ev) {
    if (ev.isBeingDecrypted && ev.isBeingDecrypted()) return false;
    if (p.room_id && ev.getRoomId() !== p.room_id) return false;
    if (p.sender && ev.getSender() !== p.sender) return false;
    if (p.not_sender && ev.getSender() === p.not_sender) return false;
    if (p.type && ev.getType() !== p.type) return false;
    const content = ev.getContent() || {};
    if (p.body_contains && !(typeof content.body === "string" && content.body.includes(p.body_contains))) return false;
    const rel = ev.getRelation() || {};
    if (p.rel_type && rel.rel_type !== p.rel_type) return false;
    if (p.relates_to && rel.event_id !== p.relates_to) return false;
    if (p.in_reply_to && content?.["m.relates_to"]?.["m.in_reply_to"]?.event_id !== p.in_reply_to) return false;
    if (p.redacts && (ev.event.redacts ?? content.redacts) !== p.redacts) return false;
    if (p.decryption_failure === true && !ev.isDecryptionFailure()) return false;
    if (p.decryption_failure === false && ev.isDecryptionFailure()) return false;
    if (p.exclude && p.exclude.includes(ev.getId())) return false;
    return true;
}

function remember(ev) {
    if (!ev.getId()) return;
    events.delete(ev.getId());
    events.set(ev.getId(), ev);
    while (events.size > MAX_EVENTS) events.delete(events.keys().next().value);
    for (const w of [...waiters]) {
        if (matches(w.predicate, ev)) {
            waiters.delete(w);
            w.resolve(ev);
        }
    }
}

async function login(args) {
    const base = sdk.createClient({ baseUrl: args.homeserver });
    const resp = await base.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: args.user_id },
        password: args.password,
        initial_device_display_name: args.device_name || "js-test",
    });
    password = args.password;
    if (args.recovery_key) {
        secretStorageKey = ["?", cryptoApi.decodeRecoveryKey(args.recovery_key)];
    }
    client = sdk.createClient({
        baseUrl: args.homeserver,
        userId: resp.user_id,
        deviceId: resp.device_id,
        accessToken: resp.access_token,
        cryptoCallbacks: {
            getSecretStorageKey: async ({ keys }) => {
                if (!secretStorageKey) return null;
                const keyId = Object.keys(keys)[0];
                return [secretStorageKey[0] === "?" ? keyId : secretStorageKey[0], secretStorageKey[1]];
            },
            cacheSecretStorageKey: (keyId, _info, key) => {
                secretStorageKey = [keyId, key];
            },
        },
    });
    await client.initRustCrypto({ useIndexedDB: false });
    const crypto = client.getCrypto();
    if (args.only_signed !== false) {
        crypto.setDeviceIsolationMode(new cryptoApi.OnlySignedDevicesIsolationMode());
    }
    client.on(sdk.RoomEvent.Timeline, (ev) => remember(ev));
    client.on(sdk.MatrixEventEvent.Decrypted, (ev) => remember(ev));
    const prepared = new Promise((resolve) => {
        const onSync = (state) => {
            if (state === "PREPARED" || state === "SYNCING") {
                client.off(sdk.ClientEvent.Sync, onSync);
                resolve();
            }
        };
        client.on(sdk.ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 20 });
    await prepared;
    const auth = async (makeRequest) => {
        await makeRequest({
            type: "m.login.password",
            identifier: { type: "m.id.user", user: resp.user_id },
            password,
        });
    };
    let generated = null; // the recovery key bootstrapSecretStorage makes
    if (args.cross_signing !== false) {
        // Element looks up the account's identity first (a fresh /keys/query) ...
        await crypto.userHasCrossSigningKeys(resp.user_id, true);
        // ... then, as on first login: cross-signing, then secret storage holding it.
        await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: auth });
        if (args.secret_storage && !args.recovery_key) {
            await crypto.bootstrapSecretStorage({
                createSecretStorageKey: async () => (generated = await crypto.createRecoveryKeyFromPassphrase()),
            });
        }
    }
    return { user_id: resp.user_id, device_id: resp.device_id, recovery_key: generated?.encodedPrivateKey ?? null };
}

async function createRoom(args) {
    const c = need();
    const initial_state = [];
    if (args.encrypted) {
        initial_state.push({ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } });
    }
    const opts = { invite: args.invite || [], initial_state };
    if (args.name) opts.name = args.name;
    if (args.dm) {
        opts.is_direct = true;
        opts.preset = "trusted_private_chat";
    }
    const { room_id } = await c.createRoom(opts);
    if (args.dm) {
        const direct = c.getAccountData("m.direct")?.getContent() || {};
        for (const user of args.invite || []) direct[user] = [...(direct[user] || []), room_id];
        await c.setAccountData("m.direct", direct);
    }
    await waitFor(() => c.getRoom(room_id), args.timeout_ms ?? 20000, `room ${room_id} in sync`);
    if (args.encrypted) {
        await waitFor(() => c.getCrypto().isEncryptionEnabledInRoom(room_id), args.timeout_ms ?? 20000, "encryption state");
    }
    return { room_id };
}

async function waitFor(check, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, delay));
    }
}

async function waitMember(args) {
    const c = need();
    const membership = args.membership || "join";
    await waitFor(
        () => c.getRoom(args.room_id)?.getMember(args.user_id)?.membership === membership,
        args.timeout_ms ?? 20000,
        `${args.user_id} to ${membership} ${args.room_id}`,
    );
    return {};
}

async function sendContent(roomId, type, content) {
    const { event_id } = await need().sendEvent(roomId, type, content);
    return { event_id };
}

async function waitEvent(args) {
    const c = need();
    const predicate = args.predicate || {};
    const timeoutMs = args.timeout_ms ?? 20000;
    let found = [...events.values()].find((ev) => matches(predicate, ev));
    if (!found) {
        let waiter;
        const timeout = new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs));
        found = await Promise.race([
            new Promise((resolve) => {
                waiter = { predicate, resolve };
                waiters.add(waiter);
            }),
            timeout,
        ]);
        waiters.delete(waiter);
    }
    if (!found) return null;
    if (found.isEncrypted()) await c.decryptEventIfNeeded(found);
    return describe(found);
}

async function deviceStatus(args) {
    const crypto = need().getCrypto();
    await crypto.getUserDeviceInfo([args.user_id], true);
    const status = await crypto.getDeviceVerificationStatus(args.user_id, args.device_id);
    if (!status) return null;
    return { signed_by_owner: status.signedByOwner, cross_signing_verified: status.crossSigningVerified };
}

async function crossSigningStatus() {
    const crypto = need().getCrypto();
    const s = await crypto.getCrossSigningStatus();
    return {
        ready: await crypto.isCrossSigningReady(),
        public_keys_on_device: s.publicKeysOnDevice,
        private_keys_in_secret_storage: s.privateKeysInSecretStorage,
        private_keys_cached: s.privateKeysCachedLocally,
    };
}

const commands = {
    login,
    create_room: createRoom,
    join: async (a) => ({ room_id: (await need().joinRoom(a.room_id)).roomId }),
    wait_member: waitMember,
    send_text: (a) =>
        sendContent(a.room_id, "m.room.message", {
            msgtype: a.msgtype || "m.text",
            body: a.body,
            ...(a.thread_root ? { "m.relates_to": { rel_type: "m.thread", event_id: a.thread_root, is_falling_back: true, "m.in_reply_to": { event_id: a.thread_root } } } : {}),
            ...(a.extra || {}),
        }),
    send_edit: (a) =>
        sendContent(a.room_id, "m.room.message", {
            msgtype: "m.text",
            body: `* ${a.body}`,
            "m.new_content": { msgtype: "m.text", body: a.body },
            "m.relates_to": { rel_type: "m.replace", event_id: a.event_id },
        }),
    send_event: (a) => sendContent(a.room_id, a.type, a.content),
    redact: async (a) => ({ event_id: (await need().redactEvent(a.room_id, a.event_id, undefined, a.reason ? { reason: a.reason } : undefined)).event_id }),
    react: (a) =>
        sendContent(a.room_id, "m.reaction", {
            "m.relates_to": { rel_type: "m.annotation", event_id: a.event_id, key: a.key },
        }),
    wait_event: waitEvent,
    device_status: deviceStatus,
    cross_signing_status: crossSigningStatus,
    stop: async () => {
        if (client) client.stopClient();
        setTimeout(() => process.exit(0), 50);
        return {};
    },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
    let req;
    try {
        req = JSON.parse(line);
    } catch {
        send({ id: null, ok: false, error: "request is not JSON" });
        return;
    }
    const handler = commands[req.cmd];
    if (!handler) {
        send({ id: req.id, ok: false, error: `unknown command ${JSON.stringify(req.cmd)}` });
        return;
    }
    try {
        send({ id: req.id, ok: true, result: (await handler(req)) ?? null });
    } catch (err) {
        send({ id: req.id, ok: false, error: String(err?.message || err).slice(0, 2000) });
    }
});
rl.on("close", () => {
    if (client) client.stopClient();
    process.exit(0);
});
send({ id: 0, ok: true, result: { ready: true, sdk: require("matrix-js-sdk/package.json").version } });
