// Starts the built server on a free loopback port with a fresh in-memory
// database, and stops it when the run ends.
import { spawn } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = path.resolve(process.env.CRM_SERVER_BIN ?? path.join(root, "target", "debug", "server"));
  const server = spawn(bin, [], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      RUST_LOG: "info",
      CRM_ADDR: "127.0.0.1:0",
      CRM_DATABASE_URL: "mem://",
      CRM_SITE_ROOT: path.resolve(process.env.CRM_SITE_ROOT ?? path.join(root, "target", "site")),
    },
    stdio: ["ignore", "inherit", "pipe"],
  });

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

  return async () => {
    if (server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  };
}
