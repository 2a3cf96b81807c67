import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartType,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Filler,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Tooltip, Legend);

const SEVERITY_COLOURS: Record<string, string> = {
  INFO: '#5b7083',
  LOW: '#2f7d4f',
  MEDIUM: '#b07d00',
  HIGH: '#c4501c',
  CRITICAL: '#b3122e',
};
const ACCENT = '#1f5fbf';

export interface Series {
  labels: string[];
  values: number[];
}

/**
 * One Chart.js chart in a labelled figure. The canvas carries a text summary (aria-label) and
 * `data-total`, so screen readers and tests read the same figures the picture shows.
 */
export class StatChart {
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private chart: Chart | undefined;

  constructor(
    readonly id: string,
    private readonly title: string,
    private readonly type: ChartType,
    private readonly options: { horizontal?: boolean; colourBySeverity?: boolean } = {},
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = `chart-${id}`;
    this.canvas.setAttribute('role', 'img');
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const box = document.createElement('div');
    box.className = 'chart-box';
    const empty = document.createElement('p');
    empty.className = 'chart-empty';
    empty.textContent = 'No events in this range.';
    box.append(this.canvas);
    this.root = document.createElement('figure');
    this.root.className = 'chart';
    this.root.dataset.empty = 'true';
    this.root.append(caption, box, empty);
  }

  update(series: Series): void {
    const total = series.values.reduce((sum, value) => sum + value, 0);
    this.canvas.dataset.total = String(total);
    const summary = series.labels.length === 0 ? 'no data' : series.labels.map((label, i) => `${label}: ${series.values[i]}`).join(', ');
    this.canvas.setAttribute('aria-label', `${this.title}. ${summary}`);
    this.root.dataset.empty = String(total === 0);
    const colours = this.options.colourBySeverity ? series.labels.map((l) => SEVERITY_COLOURS[l] ?? ACCENT) : ACCENT;
    if (!this.chart) {
      this.chart = new Chart(this.canvas, {
        type: this.type,
        data: {
          labels: series.labels,
          datasets: [{ label: 'Events', data: series.values, backgroundColor: colours, borderColor: ACCENT, fill: this.type === 'line', tension: 0.2 }],
        },
        options: {
          indexAxis: this.options.horizontal ? 'y' : 'x',
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { x: { ticks: { maxRotation: 0, autoSkip: true } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
      return;
    }
    this.chart.data.labels = series.labels;
    const dataset = this.chart.data.datasets[0];
    if (dataset) {
      dataset.data = series.values;
      dataset.backgroundColor = colours;
    }
    this.chart.update();
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}
