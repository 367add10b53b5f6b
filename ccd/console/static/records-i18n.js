// ccd console, part 2 (history, recordings, ratings, reports): its strings, merged into CCD_I18N.
(function () {
  const more = {
    en: {
      r_signin: "Please sign in first:", r_history: "Customer history", r_recordings: "Recordings",
      r_ratings: "Ratings", r_reports: "Reports", r_search: "Search", r_date: "Date", r_wait: "Wait",
      r_talk: "Talk", r_outcome: "Outcome", r_recording: "Recording", r_none: "No calls", r_from: "From",
      r_to: "To (incl.)", r_duration: "Duration, s", r_group: "Group by", r_show: "Show", r_csv: "CSV",
      r_ranking: "Ranking", r_lowest: "Lowest-rated calls", r_interval: "interval (hour)", r_day: "day",
      r_week: "week", r_month: "month", r_quarter: "quarter", r_staffing: "Staffing: required vs available",
      r_weeks: "Weeks of history", r_play: "Play", r_download: "Download", r_number: "Number",
      answered: "answered", abandoned: "abandoned", overflow: "overflowed", timeout: "timed out",
      fallback: "fallback (Asterisk)", in_progress: "in progress", callback: "callback",
      offered: "Offered", rated: "Rated", response_rate: "Response rate", average: "Average",
      r_sl_chart: "Service level by interval against target", r_calls_chart: "Calls and abandons by hour",
      r_staff_chart: "Required vs available agents", r_occ_chart: "Agent occupancy", r_target: "target",
      r_required: "required", r_available: "available (not paused)", r_calls: "calls", r_abandons: "abandons",
      no_recording: "–", r_scope: "per-agent figures need a supervisor or admin",
      r_forecast: "Forecast", r_forecast_chart: "Agents required next week (forecast)",
    },
    ru: {
      r_signin: "Сначала войдите:", r_history: "История клиента", r_recordings: "Записи",
      r_ratings: "Оценки", r_reports: "Отчёты", r_search: "Найти", r_date: "Дата", r_wait: "Ожидание",
      r_talk: "Разговор", r_outcome: "Итог", r_recording: "Запись", r_none: "Звонков нет", r_from: "С",
      r_to: "По (вкл.)", r_duration: "Длительность, с", r_group: "Группировка", r_show: "Показать", r_csv: "CSV",
      r_ranking: "Рейтинг операторов", r_lowest: "Звонки с худшими оценками", r_interval: "интервал (час)",
      r_day: "день", r_week: "неделя", r_month: "месяц", r_quarter: "квартал",
      r_staffing: "Персонал: нужно и есть", r_weeks: "Недель истории", r_play: "Слушать",
      r_download: "Скачать", r_number: "Номер",
      answered: "отвечен", abandoned: "потерян", overflow: "переполнение", timeout: "тайм-аут",
      fallback: "резерв (Asterisk)", in_progress: "идёт", callback: "перезвон",
      offered: "Предложено", rated: "Оценено", response_rate: "Доля ответов", average: "Средняя",
      r_sl_chart: "Уровень сервиса по интервалам и цель", r_calls_chart: "Звонки и потерянные по часам",
      r_staff_chart: "Нужно и есть операторов", r_occ_chart: "Загрузка операторов", r_target: "цель",
      r_required: "нужно", r_available: "есть (не на паузе)", r_calls: "звонки", r_abandons: "потеряно",
      no_recording: "–", r_scope: "данные по операторам — для руководителей и администраторов",
      r_forecast: "Прогноз", r_forecast_chart: "Нужно операторов на следующей неделе (прогноз)",
    },
  };
  for (const lang of Object.keys(more)) Object.assign(window.CCD_I18N[lang], more[lang]);
})();
