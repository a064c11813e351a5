// Hardhat 3 configuration: offline Solidity compiler, local and remote networks.
import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// The compiler cannot be downloaded on these machines: use the npm `solc` wasm build.
// `version` must equal the installed solc package's version.
const compiler = {
  version: (require("solc/package.json") as { version: string }).version,
  path: require.resolve("solc/soljson.js"),
  settings: {
    optimizer: { enabled: true, runs: 10_000 },
    evmVersion: "cancun",
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
  },
  // Generated contract types use namespaces; keep them out of the erasable-syntax check.
  typechain: { tsNocheck: true },
  paths: {
    tests: { mocha: "test" },
  },
  test: {
    // MOCHA_TIMINGS=<file> writes per-file and per-test durations there (finding slow tests).
    mocha: {
      timeout: 120_000,
      ...(process.env.MOCHA_TIMINGS === undefined ? {} : { reporter: require.resolve("./test/helpers/timing-reporter.ts") }),
    },
  },
  networks: {
    // In-process simulated chain (contract tests, gas benchmark): Hardhat's built-in `default`.
    default: { type: "edr-simulated", chainType: "l1" },
    // A `hardhat node` (or any dev node) on this machine.
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // Public testnet. URL and key come from the environment or Hardhat's encrypted
    // keystore (`npx hardhat keystore set SEPOLIA_PRIVATE_KEY`), never from a file in the repo.
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
    // Any other EVM network (an L2, a permissioned Besu network, ...), same rules.
    evm: {
      type: "http",
      chainType: "generic",
      url: configVariable("EVM_RPC_URL"),
      accounts: [configVariable("EVM_PRIVATE_KEY")],
    },
  },
});
