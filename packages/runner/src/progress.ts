/**
 * Progress of a pipeline run: a live bar per running cell (its name: method, the swept values
 * that distinguish it, seed; iteration, loss, rate, ETA) and one for the whole run on a TTY (cli-progress), plain lines
 * otherwise or with --quiet, and a machine-readable event log (`events.jsonl`) in the
 * results folder.
 */
import type { Cell } from "@gnlab/pipeline"
import cliProgress from "cli-progress"
import type { CellProgress } from "./cell.js"

/** What the run loop reports. */
export interface ProgressSink {
  cellStarted(cell: Cell, resumed: boolean): void
  cellProgress(cell: Cell, p: CellProgress): void
  cellFinished(cell: Cell, outcome: { status: string; seconds: number; detail?: string }): void
  stop(): void
}

/**
 * The name of a cell in progress lines, events and plan: its method, the swept values that tell
 * it from the pipeline's other cells, its seed (@gnlab/pipeline cellNames).
 */
export const cellLabel = (cell: Cell): string => cell.name

/**
 * ETA of a cell: the sooner of the iteration cap at the current rate and the time for the
 * log of the relative loss to reach log(tol) at its current slope.
 */
export function cellEta(p: CellProgress, prev: CellProgress | undefined): number | undefined {
  if (prev === undefined || p.elapsedSeconds <= prev.elapsedSeconds || p.iter <= prev.iter) return undefined
  const dt = p.elapsedSeconds - prev.elapsedSeconds
  const rate = (p.iter - prev.iter) / dt
  let eta = (p.maxIter - p.iter) / rate
  const slope = (Math.log(p.relLoss) - Math.log(prev.relLoss)) / dt
  if (p.tol > 0 && slope < 0 && p.relLoss > p.tol)
    eta = Math.min(eta, (Math.log(p.tol) - Math.log(p.relLoss)) / slope)
  return eta
}

const fmtSeconds = (s: number | undefined): string =>
  s === undefined || !Number.isFinite(s)
    ? "?"
    : s < 90
      ? `${s.toFixed(0)}s`
      : s < 5400
        ? `${(s / 60).toFixed(0)}m`
        : `${(s / 3600).toFixed(1)}h`

/** Progress for `total` cells: bars on a TTY, plain lines otherwise or when `plain`. */
export function makeProgress(
  total: number,
  plain: boolean,
  log: (e: Record<string, unknown>) => void
): ProgressSink {
  const started = Date.now()
  let done = 0
  const previous = new Map<string, CellProgress>()
  const overallEta = () => {
    const elapsed = (Date.now() - started) / 1000
    return done === 0 ? undefined : (elapsed / done) * (total - done)
  }
  if (plain || !process.stderr.isTTY) {
    const line = (s: string) => process.stderr.write(`${s}\n`)
    const lastLine = new Map<string, number>()
    return {
      cellStarted(cell, resumed) {
        log({ event: "cell-start", cellId: cell.id, label: cellLabel(cell), resumed })
        line(`[${done}/${total}] start ${cellLabel(cell)}${resumed ? " (resuming)" : ""}`)
      },
      cellProgress(cell, p) {
        const eta = cellEta(p, previous.get(cell.id))
        previous.set(cell.id, p)
        log({ event: "cell-progress", cellId: cell.id, ...p })
        // at most one line per cell every 10 s
        if (Date.now() - (lastLine.get(cell.id) ?? 0) > 10_000) {
          lastLine.set(cell.id, Date.now())
          line(
            `[${done}/${total}] ${cellLabel(cell)}: iter ${p.iter} loss ${p.trainLoss.toExponential(2)} ETA ${fmtSeconds(eta)}`
          )
        }
      },
      cellFinished(cell, o) {
        done++
        log({ event: "cell-end", cellId: cell.id, ...o })
        line(
          `[${done}/${total}] ${o.status} ${cellLabel(cell)} in ${fmtSeconds(o.seconds)}${o.detail ? ` — ${o.detail}` : ""} (run ETA ${fmtSeconds(overallEta())})`
        )
      },
      stop() {}
    }
  }
  const multi = new cliProgress.MultiBar(
    {
      clearOnComplete: false,
      hideCursor: true,
      format: "{label} | {bar} | {value}/{total} | {info}",
      stream: process.stderr
    },
    cliProgress.Presets.shades_classic
  )
  const overall = multi.create(total, 0, { label: "cells".padEnd(36), info: "ETA ?" })
  const bars = new Map<string, cliProgress.SingleBar>()
  return {
    cellStarted(cell, resumed) {
      log({ event: "cell-start", cellId: cell.id, label: cellLabel(cell), resumed })
      const maxIter = Number(cell.config.method.params.maxIter ?? 0)
      bars.set(
        cell.id,
        multi.create(maxIter, 0, {
          label: cellLabel(cell).padEnd(36).slice(0, 36),
          info: resumed ? "resuming" : "starting"
        })
      )
    },
    cellProgress(cell, p) {
      const eta = cellEta(p, previous.get(cell.id))
      const prev = previous.get(cell.id)
      const rate =
        prev === undefined
          ? undefined
          : (p.iter - prev.iter) / Math.max(1e-9, p.elapsedSeconds - prev.elapsedSeconds)
      previous.set(cell.id, p)
      log({ event: "cell-progress", cellId: cell.id, ...p })
      bars.get(cell.id)?.update(p.iter, {
        info: `loss ${p.trainLoss.toExponential(2)} ${rate === undefined ? "" : `${rate.toFixed(1)} it/s`} ETA ${fmtSeconds(eta)}`
      })
    },
    cellFinished(cell, o) {
      done++
      log({ event: "cell-end", cellId: cell.id, ...o })
      const bar = bars.get(cell.id)
      if (bar !== undefined) multi.remove(bar)
      bars.delete(cell.id)
      overall.update(done, { info: `ETA ${fmtSeconds(overallEta())}` })
      multi.log(
        `${o.status.padEnd(9)} ${cellLabel(cell)} in ${fmtSeconds(o.seconds)}${o.detail ? ` — ${o.detail}` : ""}\n`
      )
    },
    stop: () => multi.stop()
  }
}
