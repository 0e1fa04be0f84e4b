/**
 * The "Programs" tree under text2ml's icon in the activity bar: what the server's
 * `text2ml/programs` request returns, refreshed when a job ends and every few seconds while
 * one runs (so a running optimization's leaderboard is live). A click on a candidate opens
 * its module.
 */

import * as vscode from 'vscode';

import { JobTracker } from './jobs';
import { PROGRAMS_REQUEST, ProgramsReply, TreeNode, programNodes } from './programs';

type Client = { sendRequest<R>(method: string, params: unknown): Promise<R> } | undefined;

const LIVE_REFRESH_MS = 3000;

export class ProgramsView implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: { dispose(): void };

  constructor(private readonly client: () => Client, tracker: JobTracker) {
    this.subscription = tracker.onEvent((event) => {
      if (event.kind === 'end') {
        this.refresh();
      }
      const running = tracker.active().length > 0;
      if (running && this.timer === undefined) {
        this.timer = setInterval(() => this.refresh(), LIVE_REFRESH_MS);
      } else if (!running && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, node.children.length > 0
      ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    if (node.uri !== undefined) {
      const uri = vscode.Uri.parse(node.uri);
      item.resourceUri = uri;
      item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
    }
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node !== undefined) {
      return node.children;
    }
    const client = this.client();
    if (client === undefined) {
      return [];
    }
    try {
      return programNodes(await client.sendRequest<ProgramsReply>(PROGRAMS_REQUEST, {}));
    } catch {
      return []; // a server that is restarting answers the next refresh
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
    this.subscription.dispose();
    this.changed.dispose();
  }
}
