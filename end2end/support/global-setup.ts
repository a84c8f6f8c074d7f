// Creates an admin on a fresh embedded database in a temporary directory
// (with the server's own `create-admin` command), starts a real SMTP server
// (aiosmtpd, writing each message to a directory) and the built server on
// free loopback ports, and stops both when the run ends.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const E2E_USER = "e2e";
export const E2E_PASSWORD = "e2e-password-42";
/** Two reps of one team, created by the admin through the app's own API. */
export const REPS = { alice: "alice", bob: "bob", carol: "carol" } as const;
export const REP_PASSWORD = "rep-password-42";

const root = path.resolve(__dirname, "..", "..");

/** A port free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the test SMTP server; resolves once it listens. */
async function startSmtp(port: number, dir: string): Promise<ChildProcess> {
  const script = path.join(root, "server", "tests", "smtp_server.py");
  const smtp = spawn("/usr/bin/python3", [script, String(port), dir], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the SMTP server did not start in 20 s")), 20_000);
    smtp.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    smtp.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the SMTP server exited with ${code} (Debian's python3-aiosmtpd installed?)`));
    });
  });
  return smtp;
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = path.resolve(process.env.CRM_SERVER_BIN ?? path.join(root, "target", "debug", "server"));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "crm-e2e-"));
  const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), "crm-e2e-mail-"));
  const smtpPort = await freePort();
  const smtp = await startSmtp(smtpPort, mailDir);
  process.env.CRM_E2E_MAIL_DIR = mailDir;
  const env = {
    PATH: process.env.PATH ?? "",
    RUST_LOG: "info",
    CRM_ADDR: "127.0.0.1:0",
    CRM_DATABASE_URL: `surrealkv://${path.join(dataDir, "crm.db")}`,
    CRM_SITE_ROOT: path.resolve(process.env.CRM_SITE_ROOT ?? path.join(root, "target", "site")),
    // Low, so that a test sends a file past it with a few megabytes.
    CRM_MAX_IMPORT_BYTES: String(4 * 1024 * 1024),
    CRM_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    CRM_MAIL_FROM: "客户关怀 <care@example.com>",
  };
  const admin = spawnSync(bin, ["create-admin", E2E_USER], { cwd: root, env, input: `${E2E_PASSWORD}\n` });
  if (admin.status !== 0) {
    throw new Error(`create-admin failed (${admin.status}): ${admin.stdout}${admin.stderr}`);
  }
  const server = spawn(bin, [], { cwd: root, env, stdio: ["ignore", "inherit", "pipe"] });

  const baseUrl = await new Promise<string>((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${error.message} (build it with cargo test or cargo build -p server)`));
    });
    server.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening (is it built? ${bin}):\n${log}`));
    });
  });
  // Keep draining its log so the pipe never fills up.
  server.stderr!.on("data", () => {});
  process.env.CRM_E2E_BASE_URL = baseUrl;
  await createReps(baseUrl);

  return async () => {
    smtp.kill("SIGTERM");
    fs.rmSync(mailDir, { recursive: true, force: true });
    if (server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}

/** Signs in as the admin and creates the reps the tests use. */
async function createReps(baseUrl: string): Promise<void> {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const headers = { "content-type": "application/x-www-form-urlencoded", origin: baseUrl };
  const signIn = await fetch(`${baseUrl}/api/auth/sign_in`, {
    method: "POST",
    headers,
    body: form({ username: E2E_USER, password: E2E_PASSWORD }),
  });
  const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0];
  if (!signIn.ok || !cookie) throw new Error(`admin sign-in failed: ${signIn.status}`);
  for (const name of Object.values(REPS)) {
    const created = await fetch(`${baseUrl}/api/admin/users/create`, {
      method: "POST",
      headers: { ...headers, cookie },
      body: form({ username: name, display_name: name, role: "rep", team: "north", password: REP_PASSWORD }),
    });
    if (!created.ok) throw new Error(`creating ${name} failed: ${created.status} ${await created.text()}`);
  }
}
