import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/chat/cli/render-text.ts';
import { renderLarkCard } from '../../../src/chat/lark/render.ts';
import { filledCells, progressBar } from '../../../src/chat/progress-bar.ts';
import { renderSlack } from '../../../src/chat/slack/render.ts';
import { message } from '../../../src/core/message.ts';

/**
 * One progress bar for Slack, Lark and the CLI. Before it, Slack drew no bar at all for a done
 * that is not a number and the CLI threw a RangeError for done outside 0…total; the bar is now
 * always 20 cells, on every surface.
 */
describe('progress bar', () => {
  it.each([
    [0, 8, 0],
    [3, 8, 8],
    [8, 8, 20],
    [1, 3, 7],
    [12, 8, 20],
    [-2, 8, 0],
    [5, 0, 0],
    [5, -4, 0],
    [Number.NaN, 8, 0],
    [Number.POSITIVE_INFINITY, 8, 0],
    [3, Number.NaN, 0],
    [3, Number.POSITIVE_INFINITY, 0],
  ])('done %d of %d fills %d of 20 cells', (done, total, want) => {
    expect(filledCells(done, total)).toBe(want);
    const bar = progressBar(done, total, { full: '#', empty: '.' });
    expect(bar).toBe('#'.repeat(want) + '.'.repeat(20 - want));
  });

  const odd = [
    [Number.NaN, 100],
    [150, 100],
    [-5, 100],
    [5, -1],
  ] as const;

  it.each(odd)('Slack, Lark and the CLI draw a full-width bar for done %d of %d', (done, total) => {
    const m = message('Upgrade', 'running', { progress: { done, total, label: 'batches' } });
    const slack = renderSlack(m, { slackIdOf: () => undefined, blockIdSeed: 'p' }).blocks.find((b) => b.block_id === 'p.progress');
    expect(slack?.type === 'section' ? slack.text?.text : undefined).toMatch(/^[▓░]{20} /);
    expect(JSON.stringify(renderLarkCard(m, { openIdOf: () => undefined }).card)).toMatch(/\*\*Progress\*\* [█░]{20} /);
    expect(renderText(m)).toMatch(/ {2}\[[#.]{20}\] /);
  });
});
